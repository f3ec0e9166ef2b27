// The project the console acts on (topics, publish, streams), chosen in the header and
// remembered per browser. Unset means the account's default project.
import { createContext, useContext, useState, type ReactNode } from "react";

const KEY = "topichub.project";

interface ProjectChoice {
  projectId: string | null;
  setProjectId(id: string | null): void;
  /** Bumped by `projectsChanged()`: lists of projects reload when it changes. */
  version: number;
  projectsChanged(): void;
}

const ProjectContext = createContext<ProjectChoice | null>(null);

export function ProjectProvider({ children }: { children: ReactNode }) {
  const [projectId, setState] = useState<string | null>(() => localStorage.getItem(KEY));
  const setProjectId = (id: string | null) => {
    if (id) localStorage.setItem(KEY, id);
    else localStorage.removeItem(KEY);
    setState(id);
  };
  const [version, setVersion] = useState(0);
  const projectsChanged = () => setVersion((v) => v + 1);
  return (
    <ProjectContext.Provider value={{ projectId, setProjectId, version, projectsChanged }}>
      {children}
    </ProjectContext.Provider>
  );
}

export function useProject(): ProjectChoice {
  const choice = useContext(ProjectContext);
  if (!choice) throw new Error("useProject outside <ProjectProvider>");
  return choice;
}
