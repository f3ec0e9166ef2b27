import { Navigate, Outlet, createHashRouter, RouterProvider, useLocation } from "react-router";

import { AuthProvider, useAuth } from "./auth/AuthProvider";
import { Layout } from "./components/Layout";
import { ProjectProvider } from "./hooks/useProject";
import AccountPage from "./pages/account/AccountPage";
import AdminPage from "./pages/admin/AdminPage";
import ApiKeysPage from "./pages/apiKeys/ApiKeysPage";
import LoginPage from "./pages/auth/LoginPage";
import SignupPage from "./pages/auth/SignupPage";
import ChatPage from "./pages/chat/ChatPage";
import DashboardPage from "./pages/dashboard/DashboardPage";
import EventsPage from "./pages/events/EventsPage";
import MathPage from "./pages/math/MathPage";
import ProjectsPage from "./pages/projects/ProjectsPage";
import RecommenderPage from "./pages/recommender/RecommenderPage";
import TodosPage from "./pages/todos/TodosPage";
import TopicPage from "./pages/topics/TopicPage";
import TopicsPage from "./pages/topics/TopicsPage";

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
      { path: "/login", element: <LoginPage /> },
      { path: "/signup", element: <SignupPage /> },
    ],
  },
  {
    element: <RequireUser />,
    children: [
      { path: "/", element: <DashboardPage /> },
      { path: "/projects", element: <ProjectsPage /> },
      { path: "/topics", element: <TopicsPage /> },
      { path: "/topics/:name", element: <TopicPage /> },
      { path: "/keys", element: <ApiKeysPage /> },
      { path: "/todos", element: <TodosPage /> },
      { path: "/chat", element: <ChatPage /> },
      { path: "/chat/:groupId", element: <ChatPage /> },
      { path: "/math", element: <MathPage /> },
      { path: "/recommender", element: <RecommenderPage /> },
      { path: "/events", element: <EventsPage /> },
      { path: "/account", element: <AccountPage /> },
      { element: <RequireAdmin />, children: [{ path: "/admin", element: <AdminPage /> }] },
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
