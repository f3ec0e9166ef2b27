// The frame of every signed-in page: navigation (a menu button on narrow screens), the
// project picker, the user's menu, and the page itself.
import { useState, type ReactNode } from "react";
import { NavLink, Outlet } from "react-router";

import { useAuth } from "../auth/AuthProvider";
import { ProjectPicker } from "./ProjectPicker";

interface Item {
  to: string;
  label: string;
  admin?: boolean;
}

export const NAV: Item[] = [
  { to: "/", label: "Dashboard" },
  { to: "/projects", label: "Projects" },
  { to: "/topics", label: "Topics" },
  { to: "/keys", label: "API keys" },
  { to: "/todos", label: "Todos" },
  { to: "/chat", label: "Chat" },
  { to: "/math", label: "Math" },
  { to: "/recommender", label: "Recommender" },
  { to: "/events", label: "Event log" },
  { to: "/account", label: "Account" },
  { to: "/admin", label: "Admin", admin: true },
];

function NavItems({ onNavigate }: { onNavigate?: () => void }) {
  const { user } = useAuth();
  return (
    <ul className="flex flex-col gap-1">
      {NAV.filter((item) => !item.admin || user?.is_platform_admin).map((item) => (
        <li key={item.to}>
          <NavLink
            to={item.to}
            end={item.to === "/"}
            onClick={onNavigate}
            className={({ isActive }) =>
              `block rounded-md px-3 py-2 text-sm ${
                isActive ? "bg-indigo-50 font-medium text-indigo-700" : "text-slate-700 hover:bg-slate-100"
              }`
            }
          >
            {item.label}
          </NavLink>
        </li>
      ))}
    </ul>
  );
}

export function Layout({ children }: { children?: ReactNode }) {
  const { user, signOut } = useAuth();
  const [open, setOpen] = useState(false);
  return (
    <div className="min-h-screen">
      <header className="sticky top-0 z-10 flex items-center gap-3 border-b border-slate-200 bg-white px-4 py-2">
        <button
          type="button"
          className="rounded-md p-2 text-slate-700 hover:bg-slate-100 md:hidden"
          aria-label={open ? "Close menu" : "Open menu"}
          aria-expanded={open}
          aria-controls="main-nav"
          onClick={() => setOpen((o) => !o)}
        >
          <span aria-hidden="true">☰</span>
        </button>
        <span className="font-semibold text-indigo-700">topichub</span>
        <div className="ml-auto flex items-center gap-3">
          <ProjectPicker />
          <span className="hidden text-sm text-slate-600 sm:inline" data-testid="signed-in-as">
            {user?.email ?? user?.username}
          </span>
          <button
            type="button"
            onClick={signOut}
            className="rounded-md px-2 py-1 text-sm text-slate-700 hover:bg-slate-100"
          >
            Sign out
          </button>
        </div>
      </header>
      <div className="mx-auto flex max-w-7xl">
        <nav
          id="main-nav"
          aria-label="Main"
          className={`${open ? "block" : "hidden"} fixed inset-x-0 top-12 z-10 border-b border-slate-200 bg-white p-3 md:static md:block md:w-52 md:shrink-0 md:border-0 md:bg-transparent`}
        >
          <NavItems onNavigate={() => setOpen(false)} />
        </nav>
        <main className="min-w-0 flex-1 p-4">{children ?? <Outlet />}</main>
      </div>
    </div>
  );
}
