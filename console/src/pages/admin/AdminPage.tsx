// Platform administration (the route is guarded: platform admins only): tenants with
// their limits and usage, users, active streams, health. The section and the open tenant live
// in the URL (/#/admin?tab=tenants&tenant=<id>) so they survive a reload and Back works.
import { useRef, type KeyboardEvent } from "react";
import { useSearchParams } from "react-router";

import { PageHeader } from "../../components/ui";
import { HealthPage } from "./Health";
import { StreamList } from "./Streams";
import { TenantDetail } from "./TenantDetail";
import { TenantList } from "./Tenants";
import { UserList } from "./Users";

const TABS = [
  { id: "tenants", label: "Tenants" },
  { id: "users", label: "Users" },
  { id: "streams", label: "Active streams" },
  { id: "health", label: "Health" },
] as const;
type Tab = (typeof TABS)[number]["id"];

function isTab(value: string | null): value is Tab {
  return TABS.some((t) => t.id === value);
}

export default function AdminPage() {
  const [params, setParams] = useSearchParams();
  const requested = params.get("tab");
  const tab: Tab = isTab(requested) ? requested : "tenants";
  const tenantId = tab === "tenants" ? params.get("tenant") : null;
  const tabs = useRef<(HTMLButtonElement | null)[]>([]);

  const go = (next: Tab, tenant?: string) =>
    setParams(tenant ? { tab: next, tenant } : { tab: next });

  function onKeyDown(event: KeyboardEvent, index: number) {
    const step = event.key === "ArrowRight" ? 1 : event.key === "ArrowLeft" ? -1 : 0;
    const target =
      event.key === "Home" ? 0 : event.key === "End" ? TABS.length - 1 : step ? (index + step + TABS.length) % TABS.length : -1;
    if (target < 0) return;
    event.preventDefault();
    const next = TABS[target];
    if (!next) return;
    go(next.id);
    tabs.current[target]?.focus();
  }

  return (
    <div>
      <PageHeader title="Admin" />
      <div role="tablist" aria-label="Admin sections" className="mb-4 flex flex-wrap gap-1 border-b border-slate-200">
        {TABS.map((t, index) => (
          <button
            key={t.id}
            ref={(el) => {
              tabs.current[index] = el;
            }}
            type="button"
            role="tab"
            id={`admin-tab-${t.id}`}
            aria-selected={tab === t.id}
            aria-controls={`admin-panel-${t.id}`}
            tabIndex={tab === t.id ? 0 : -1}
            onClick={() => go(t.id)}
            onKeyDown={(e) => onKeyDown(e, index)}
            className={`-mb-px rounded-t-md border-b-2 px-3 py-2 text-sm ${
              tab === t.id
                ? "border-indigo-600 font-medium text-indigo-700"
                : "border-transparent text-slate-600 hover:text-slate-900"
            }`}
          >
            {t.label}
          </button>
        ))}
      </div>
      <div role="tabpanel" id={`admin-panel-${tab}`} aria-labelledby={`admin-tab-${tab}`}>
        {tab === "tenants" &&
          (tenantId ? (
            <TenantDetail tenantId={tenantId} onBack={() => go("tenants")} />
          ) : (
            <TenantList onOpen={(id) => go("tenants", id)} />
          ))}
        {tab === "users" && <UserList onOpenTenant={(id) => go("tenants", id)} />}
        {tab === "streams" && <StreamList />}
        {tab === "health" && <HealthPage />}
      </div>
    </div>
  );
}
