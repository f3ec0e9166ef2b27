// The user's chat groups (with their role in each) and the form that creates one.
import { useState, type FormEvent } from "react";
import { Link, useNavigate } from "react-router";

import { api, unwrap } from "../../api/client";
import { useAction, type Loaded } from "../../hooks/useApi";
import { Alert, Badge, Button, Card, Empty, Spinner, TextField } from "../../components/ui";
import { checkGroupName, GROUP_NAME_MAX, type Group } from "./messages";

export function GroupList({
  groups,
  selected,
}: {
  groups: Loaded<{ groups: Group[] }>;
  selected: string | undefined;
}) {
  const navigate = useNavigate();
  const [name, setName] = useState("");
  const [nameError, setNameError] = useState<string>();
  const create = useAction(async (groupName: string) => {
    const group = await unwrap(api.POST("/api/v1/chat/groups", { body: { name: groupName } }));
    setName("");
    await groups.reload();
    await navigate(`/chat/${group.id}`);
  });

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const problem = checkGroupName(name);
    setNameError(problem);
    if (problem) return;
    await create.run(name.trim());
  };

  const list = groups.data?.groups ?? [];
  return (
    <Card title="Your groups" className="self-start">
      {groups.error && <Alert>{groups.error}</Alert>}
      {groups.loading && !groups.data ? (
        <div className="py-4 text-center">
          <Spinner label="Loading groups" />
        </div>
      ) : list.length === 0 ? (
        !groups.error && <Empty>No groups yet. Create one below.</Empty>
      ) : (
        <nav aria-label="Chat groups">
          <ul className="flex flex-col gap-1">
            {list.map((group) => {
              const current = group.id === selected;
              return (
                <li key={group.id}>
                  <Link
                    to={`/chat/${group.id}`}
                    aria-current={current ? "page" : undefined}
                    className={`flex items-center justify-between gap-2 rounded-md px-3 py-2 text-sm ${
                      current ? "bg-indigo-50 font-medium text-indigo-700" : "text-slate-700 hover:bg-slate-100"
                    }`}
                  >
                    <span className="min-w-0 truncate">{group.name}</span>
                    {group.role !== "member" && <Badge>{group.role}</Badge>}
                  </Link>
                </li>
              );
            })}
          </ul>
        </nav>
      )}
      <form onSubmit={submit} noValidate className="mt-4 flex flex-col gap-2 border-t border-slate-100 pt-4">
        <TextField
          label="Group name"
          value={name}
          maxLength={GROUP_NAME_MAX + 20}
          onChange={(e) => {
            setName(e.target.value);
            setNameError(undefined);
          }}
          error={nameError ?? create.fieldError("name")}
        />
        {create.error && !create.fieldError("name") && <Alert>{create.error}</Alert>}
        <Button type="submit" busy={create.busy}>
          Create group
        </Button>
      </form>
    </Card>
  );
}
