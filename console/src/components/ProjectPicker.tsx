import { api, unwrap } from "../api/client";
import { useLoad } from "../hooks/useApi";
import { useProject } from "../hooks/useProject";

/** The project that topics, publishing and streams act on. */
export function ProjectPicker() {
  const { projectId, setProjectId, version } = useProject();
  const projects = useLoad(() => unwrap(api.GET("/api/v1/projects")), [version]);
  const list = projects.data ?? [];
  return (
    <label className="flex items-center gap-2 text-sm">
      <span className="hidden text-slate-600 sm:inline">Project</span>
      <select
        aria-label="Current project"
        className="max-w-40 rounded-md border border-slate-300 bg-white px-2 py-1 text-sm"
        value={projectId ?? ""}
        onChange={(event) => setProjectId(event.target.value || null)}
      >
        <option value="">Default project</option>
        {list.map((project) => (
          <option key={project.id} value={project.id}>
            {project.name}
          </option>
        ))}
      </select>
    </label>
  );
}
