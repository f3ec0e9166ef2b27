// Projects: list, create, rename (and describe), delete, and choose the one the console
// acts on. The header's project picker reloads after every change.
import { useState } from "react";

import { api, unwrap } from "../../api/client";
import type { components } from "../../api/schema";
import { CreateForm } from "../../components/CreateForm";
import { ListCard } from "../../components/ListCard";
import { EditForm } from "../../components/EditForm";
import { Alert, Badge, Button, PageHeader, Table, TextArea, TextField, td, th } from "../../components/ui";
import { useAction, useLoad } from "../../hooks/useApi";
import { useProject } from "../../hooks/useProject";
import { checkDescription, checkProjectName, DESCRIPTION_MAX, PROJECT_NAME_MAX } from "./projects";
import { formatDate } from "../../lib/time";

type Project = components["schemas"]["ProjectOut"];

interface Errors {
  name?: string | undefined;
  description?: string | undefined;
}

function check(name: string, description: string): Errors | null {
  const errors = { name: checkProjectName(name), description: checkDescription(description) };
  return errors.name || errors.description ? errors : null;
}

function CreateProject({ onCreated }: { onCreated(): void }) {
  const [name, setName] = useState("");
  const [description, setDescription] = useState("");
  const [errors, setErrors] = useState<Errors>({});
  const create = useAction(async () =>
    unwrap(
      api.POST("/api/v1/projects", {
        body: { name: name.trim(), description: description.trim() || null },
      }),
    ),
  );

  return (
    <CreateForm
      title="New project"
      submitLabel="Create project"
      action={create}
      check={() => {
        const problems = check(name, description);
        setErrors(problems ?? {});
        return !problems;
      }}
      onCreated={() => {
        setName("");
        setDescription("");
        onCreated();
      }}
    >
      <div className="grid gap-3 md:grid-cols-2">
        <TextField
          label="Project name"
          value={name}
          onChange={(e) => setName(e.target.value)}
          error={errors.name ?? create.fieldError("name")}
          hint={`Up to ${PROJECT_NAME_MAX} characters, unique in your account.`}
        />
        <TextField
          label="Description (optional)"
          value={description}
          onChange={(e) => setDescription(e.target.value)}
          error={errors.description ?? create.fieldError("description")}
        />
      </div>
    </CreateForm>
  );
}

function EditProject({ project, onDone }: { project: Project; onDone(saved: boolean): void }) {
  const [name, setName] = useState(project.name);
  const [description, setDescription] = useState(project.description ?? "");
  const [errors, setErrors] = useState<Errors>({});
  const save = useAction(async () =>
    unwrap(
      api.PATCH("/api/v1/projects/{project_id}", {
        params: { path: { project_id: project.id } },
        body: { name: name.trim(), description: description.trim() || null },
      }),
    ),
  );

  return (
    <EditForm
      action={save}
      check={() => {
        const problems = check(name, description);
        setErrors(problems ?? {});
        return !problems;
      }}
      onDone={onDone}
    >
      <TextField
        label={`New name for ${project.name}`}
        value={name}
        autoFocus
        onChange={(e) => setName(e.target.value)}
        error={errors.name ?? save.fieldError("name")}
      />
      <TextArea
        label="Description"
        rows={2}
        className="font-sans"
        maxLength={DESCRIPTION_MAX + 10}
        value={description}
        onChange={(e) => setDescription(e.target.value)}
        error={errors.description ?? save.fieldError("description")}
      />
    </EditForm>
  );
}

function ProjectRow({ project, onChanged }: { project: Project; onChanged(): void }) {
  const { projectId, setProjectId } = useProject();
  const [editing, setEditing] = useState(false);
  const inUse = projectId ? projectId === project.id : project.is_default;
  const remove = useAction(async () =>
    unwrap(api.DELETE("/api/v1/projects/{project_id}", { params: { path: { project_id: project.id } } })),
  );

  async function onDelete() {
    if (
      !window.confirm(
        `Delete the project '${project.name}' with all its topics, their messages and its API keys? This cannot be undone.`,
      )
    )
      return;
    if (await remove.run()) {
      if (projectId === project.id) setProjectId(null);
      onChanged();
    }
  }

  return (
    <tr>
      <td className={td}>
        {editing ? (
          <EditProject
            project={project}
            onDone={(saved) => {
              setEditing(false);
              if (saved) onChanged();
            }}
          />
        ) : (
          <div className="flex flex-col gap-1">
            <div className="flex flex-wrap items-center gap-2">
              <span className="font-medium">{project.name}</span>
              {project.is_default && <Badge>default</Badge>}
              {inUse && <Badge tone="success">in use</Badge>}
            </div>
            {project.description && <p className="text-xs text-slate-600">{project.description}</p>}
          </div>
        )}
        {remove.error && (
          <div className="mt-2">
            <Alert>{remove.error}</Alert>
          </div>
        )}
      </td>
      <td className={`${td} whitespace-nowrap`}>
        <time dateTime={project.created_at}>{formatDate(project.created_at)}</time>
      </td>
      <td className={td}>
        <div className="flex flex-wrap gap-2">
          <Button
            variant="secondary"
            aria-label={`Use ${project.name}`}
            disabled={inUse}
            onClick={() => setProjectId(project.is_default ? null : project.id)}
          >
            Use
          </Button>
          {!editing && (
            <Button variant="secondary" aria-label={`Rename ${project.name}`} onClick={() => setEditing(true)}>
              Rename
            </Button>
          )}
          <Button variant="danger" aria-label={`Delete ${project.name}`} busy={remove.busy} onClick={onDelete}>
            Delete
          </Button>
        </div>
      </td>
    </tr>
  );
}

export default function ProjectsPage() {
  const { version, projectsChanged } = useProject();
  const projects = useLoad(() => unwrap(api.GET("/api/v1/projects")), [version]);
  const list = projects.data ?? [];
  // Reloading the picker bumps `version`, which reloads this list too.
  const changed = () => projectsChanged();

  return (
    <div className="flex flex-col gap-4">
      <PageHeader title="Projects" />
      <CreateProject onCreated={changed} />
      <ListCard
        title="Your projects"
        load={projects}
        rows={list}
        loadingLabel="Loading projects"
        empty="No projects yet."
      >
        {(rows) => (
          <Table caption="Projects">
            <thead>
              <tr>
                <th className={th} scope="col">Project</th>
                <th className={th} scope="col">Created</th>
                <th className={`${th} relative`} scope="col">
                  <span className="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {rows.map((project) => (
                <ProjectRow key={project.id} project={project} onChanged={changed} />
              ))}
            </tbody>
          </Table>
        )}
      </ListCard>
    </div>
  );
}
