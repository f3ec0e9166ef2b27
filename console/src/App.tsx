import { Navigate, Outlet, createHashRouter, RouterProvider, useLocation } from "react-router";

import { AuthProvider, useAuth } from "./auth/AuthProvider";
import { Layout } from "./components/Layout";
import { ProjectProvider } from "./hooks/useProject";
import Account from "./pages/Account";
import Admin from "./pages/Admin";
import ApiKeys from "./pages/ApiKeys";
import Chat from "./pages/Chat";
import Dashboard from "./pages/Dashboard";
import Events from "./pages/Events";
import Login from "./pages/Login";
import MathPage from "./pages/Math";
import Projects from "./pages/Projects";
import Recommender from "./pages/Recommender";
import Signup from "./pages/Signup";
import Todos from "./pages/Todos";
import TopicDetail from "./pages/TopicDetail";
import Topics from "./pages/Topics";

function RequireUser() {
  const { user } = useAuth();
  const location = useLocation();
  if (!user) return <Navigate to="/login" replace state={{ from: location.pathname }} />;
  return (
    <ProjectProvider>
      <Layout>
        <Outlet />
      </Layout>
    </ProjectProvider>
  );
}

function RequireAdmin() {
  const { user } = useAuth();
  if (!user?.is_platform_admin) return <Navigate to="/" replace />;
  return <Outlet />;
}

function GuestOnly() {
  const { user } = useAuth();
  return user ? <Navigate to="/" replace /> : <Outlet />;
}

// Hash routes (/#/topics): no console page can collide with an API or seed path, and a
// reload always lands on index.html.
export const routes = [
  {
    element: <GuestOnly />,
    children: [
      { path: "/login", element: <Login /> },
      { path: "/signup", element: <Signup /> },
    ],
  },
  {
    element: <RequireUser />,
    children: [
      { path: "/", element: <Dashboard /> },
      { path: "/projects", element: <Projects /> },
      { path: "/topics", element: <Topics /> },
      { path: "/topics/:name", element: <TopicDetail /> },
      { path: "/keys", element: <ApiKeys /> },
      { path: "/todos", element: <Todos /> },
      { path: "/chat", element: <Chat /> },
      { path: "/chat/:groupId", element: <Chat /> },
      { path: "/math", element: <MathPage /> },
      { path: "/recommender", element: <Recommender /> },
      { path: "/events", element: <Events /> },
      { path: "/account", element: <Account /> },
      { element: <RequireAdmin />, children: [{ path: "/admin", element: <Admin /> }] },
      { path: "*", element: <Navigate to="/" replace /> },
    ],
  },
];

const router = createHashRouter(routes);

export default function App() {
  return (
    <AuthProvider>
      <RouterProvider router={router} />
    </AuthProvider>
  );
}
