// The fields of a position form (a mode, then a time or a cursor when the mode asks for
// one), shared by the live viewer's "Start from" and a consumer group's "Reset to".
import { Select, TextField } from "../../components/ui";
import type { PositionForm, PositionMode } from "./position";

export function PositionFields<M extends PositionMode>({
  modes,
  labels,
  cursorHint,
  form,
  onChange,
  error,
  onModeChange,
  fieldClass = "min-w-48",
}: {
  /** The modes offered, in order, with their words. */
  modes: { value: M; label: string }[];
  labels: { mode: string; time: string; cursor: string };
  cursorHint: string;
  form: PositionForm<M>;
  onChange(form: PositionForm<M>): void;
  /** The problem of the time or cursor field, shown under it. */
  error?: string;
  /** Called when another mode is chosen (e.g. to clear the error). */
  onModeChange?(): void;
  fieldClass?: string;
}) {
  return (
    <>
      <div className={fieldClass}>
        <Select
          label={labels.mode}
          value={form.mode}
          onChange={(e) => {
            onChange({ ...form, mode: e.target.value as M });
            onModeChange?.();
          }}
        >
          {modes.map((m) => (
            <option key={m.value} value={m.value}>
              {m.label}
            </option>
          ))}
        </Select>
      </div>
      {form.mode === "time" && (
        <div className={fieldClass}>
          <TextField
            label={labels.time}
            type="datetime-local"
            step={1}
            value={form.time}
            onChange={(e) => onChange({ ...form, time: e.target.value })}
            error={error}
            hint="Your local time."
          />
        </div>
      )}
      {form.mode === "cursor" && (
        <div className={fieldClass}>
          <TextField
            label={labels.cursor}
            value={form.cursor}
            spellCheck={false}
            onChange={(e) => onChange({ ...form, cursor: e.target.value })}
            error={error}
            hint={cursorHint}
          />
        </div>
      )}
    </>
  );
}
