// Todos (seed 001): a paged list with an open/done filter, a create form, toggling,
// inline editing and deletion. Each change is an event on the user's `todos` topic.
import { useState } from "react";
import { Link } from "react-router";

import { api, unwrap } from "../../api/client";
import type { components } from "../../api/schema";
import { CreateForm } from "../../components/CreateForm";
import { EditForm } from "../../components/EditForm";
import { PageNav } from "../../components/PagedCard";
import { Alert, Button, Card, Empty, Loading, PageHeader, Select, TextArea, TextField } from "../../components/ui";
import { useAction, useLoad } from "../../hooks/useApi";
import {
  checkDescription,
  checkTitle,
  completedParam,
  DESCRIPTION_MAX,
  PAGE_SIZE,
  TITLE_MAX,
  todoFields,
  type TodoFilter,
} from "./todos";
import { formatDateTime } from "../../lib/time";

type Todo = components["schemas"]["TodoOut"];

interface FieldErrors {
  title?: string | undefined;
  description?: string | undefined;
}

function validate(title: string, description: string): FieldErrors | null {
  const errors = { title: checkTitle(title), description: checkDescription(description) };
  return errors.title || errors.description ? errors : null;
}

function CreateTodo({ onCreated }: { onCreated: () => void }) {
  const [title, setTitle] = useState("");
  const [description, setDescription] = useState("");
  const [errors, setErrors] = useState<FieldErrors>({});
  const create = useAction(async () =>
    unwrap(
      api.POST("/api/v1/todos", {
        body: { ...todoFields(title, description), completed: false },
      }),
    ),
  );

  return (
    <CreateForm
      title="New todo"
      submitLabel="Add todo"
      action={create}
      check={() => {
        const problems = validate(title, description);
        setErrors(problems ?? {});
        return !problems;
      }}
      onCreated={() => {
        setTitle("");
        setDescription("");
        onCreated();
      }}
    >
      <TextField
        label="Title"
        value={title}
        maxLength={TITLE_MAX + 50}
        onChange={(e) => setTitle(e.target.value)}
        error={errors.title ?? create.fieldError("title")}
        hint={`Required, up to ${TITLE_MAX} characters.`}
      />
      <TextArea
        label="Description"
        rows={2}
        className="font-sans"
        value={description}
        onChange={(e) => setDescription(e.target.value)}
        error={errors.description ?? create.fieldError("description")}
        hint={`Optional, up to ${DESCRIPTION_MAX} characters.`}
      />
    </CreateForm>
  );
}

function EditTodo({ todo, onDone }: { todo: Todo; onDone: (saved: boolean) => void }) {
  const [title, setTitle] = useState(todo.title);
  const [description, setDescription] = useState(todo.description ?? "");
  const [errors, setErrors] = useState<FieldErrors>({});
  const save = useAction(async () =>
    unwrap(
      api.PATCH("/api/v1/todos/{todo_id}", {
        params: { path: { todo_id: todo.id } },
        body: todoFields(title, description),
      }),
    ),
  );

  return (
    <EditForm
      action={save}
      check={() => {
        const problems = validate(title, description);
        setErrors(problems ?? {});
        return !problems;
      }}
      onDone={onDone}
      className="flex flex-1 flex-col gap-2"
    >
      <TextField
        label="Edit title"
        value={title}
        autoFocus
        onChange={(e) => setTitle(e.target.value)}
        error={errors.title ?? save.fieldError("title")}
      />
      <TextArea
        label="Edit description"
        rows={2}
        className="font-sans"
        value={description}
        onChange={(e) => setDescription(e.target.value)}
        error={errors.description ?? save.fieldError("description")}
      />
    </EditForm>
  );
}

function TodoRow({ todo, onChanged }: { todo: Todo; onChanged: () => void }) {
  const [editing, setEditing] = useState(false);
  const toggle = useAction(async () =>
    unwrap(
      api.PATCH("/api/v1/todos/{todo_id}", {
        params: { path: { todo_id: todo.id } },
        body: { completed: !todo.completed },
      }),
    ),
  );
  const remove = useAction(async () =>
    unwrap(api.DELETE("/api/v1/todos/{todo_id}", { params: { path: { todo_id: todo.id } } })),
  );
  const error = toggle.error ?? remove.error;

  return (
    <li className="flex flex-col gap-2 border-b border-slate-100 py-3 last:border-0">
      <div className="flex flex-wrap items-start gap-3">
        <input
          type="checkbox"
          className="mt-1 h-4 w-4 shrink-0 accent-indigo-600"
          checked={todo.completed}
          disabled={toggle.busy}
          aria-label={`Done: ${todo.title}`}
          onChange={async () => {
            if (await toggle.run()) onChanged();
          }}
        />
        {editing ? (
          <EditTodo
            todo={todo}
            onDone={(saved) => {
              setEditing(false);
              if (saved) onChanged();
            }}
          />
        ) : (
          <>
            <div className="min-w-0 flex-1">
              <p
                className={`break-words font-medium ${todo.completed ? "text-slate-400 line-through" : ""}`}
              >
                {todo.title}
              </p>
              {todo.description && (
                <p className="whitespace-pre-wrap break-words text-sm text-slate-600">
                  {todo.description}
                </p>
              )}
              <p className="text-xs text-slate-400">
                #{todo.id} · updated {formatDateTime(todo.updated_at)}
              </p>
            </div>
            <div className="flex gap-1">
              <Button variant="ghost" aria-label={`Edit ${todo.title}`} onClick={() => setEditing(true)}>
                Edit
              </Button>
              <Button
                variant="ghost"
                className="text-red-700"
                busy={remove.busy}
                aria-label={`Delete ${todo.title}`}
                onClick={async () => {
                  if (!window.confirm(`Delete the todo "${todo.title}"?`)) return;
                  if (await remove.run()) onChanged();
                }}
              >
                Delete
              </Button>
            </div>
          </>
        )}
      </div>
      {error && <Alert>{error}</Alert>}
    </li>
  );
}

export default function TodosPage() {
  const [filter, setFilter] = useState<TodoFilter>("all");
  const [page, setPage] = useState(0);
  // One more than a page: whether there is a next page (the list has no total).
  const todos = useLoad(
    () =>
      unwrap(
        api.GET("/api/v1/todos", {
          params: {
            query: { limit: PAGE_SIZE + 1, offset: page * PAGE_SIZE, completed: completedParam(filter) },
          },
        }),
      ),
    [filter, page],
  );
  const rows = todos.data?.slice(0, PAGE_SIZE) ?? [];
  const hasMore = (todos.data?.length ?? 0) > PAGE_SIZE;
  const reload = () => void todos.reload();

  return (
    <div className="flex flex-col gap-4">
      <PageHeader title="Todos">
        <Link to="/events" className="text-sm text-indigo-700 underline">
          See their events
        </Link>
      </PageHeader>
      <div className="grid gap-4 lg:grid-cols-[minmax(0,1fr)_minmax(0,2fr)]">
        <div>
          <CreateTodo
            onCreated={() => {
              if (page === 0 && filter !== "done") reload();
              else {
                setPage(0);
                setFilter("all");
              }
            }}
          />
        </div>
        <Card
          title="Your todos"
          actions={
            <div className="w-40">
              <Select
                label="Show"
                value={filter}
                onChange={(e) => {
                  setFilter(e.target.value as TodoFilter);
                  setPage(0);
                }}
              >
                <option value="all">All</option>
                <option value="open">Open</option>
                <option value="done">Done</option>
              </Select>
            </div>
          }
        >
          {todos.error && <Alert>{todos.error}</Alert>}
          {todos.loading && !todos.data ? (
            <Loading label="Loading todos" />
          ) : rows.length === 0 && !todos.error ? (
            <Empty>
              {page > 0
                ? "No more todos."
                : filter === "all"
                  ? "No todos yet. Add one with the form."
                  : filter === "open"
                    ? "Nothing open. Well done."
                    : "Nothing done yet."}
            </Empty>
          ) : (
            <ul aria-label="Todos">
              {rows.map((todo) => (
                <TodoRow key={`${todo.id}-${todo.updated_at}`} todo={todo} onChanged={reload} />
              ))}
            </ul>
          )}
          <PageNav label="Todo pages" page={page} hasMore={hasMore} onChange={setPage} className="mt-3" />
        </Card>
      </div>
    </div>
  );
}
