import { useId } from "preact/hooks";

/** A labelled text field bound to a value; `secret` hides what is typed. */
export function Field({
  label,
  value,
  onInput,
  secret,
  placeholder,
  required,
}: {
  label: string;
  value: string;
  onInput: (value: string) => void;
  secret?: boolean;
  placeholder?: string;
  required?: boolean;
}) {
  const id = useId();
  const common = {
    id,
    value,
    placeholder,
    required,
    autocomplete: "off",
    onInput: (e: Event) => onInput((e.target as HTMLInputElement).value),
  };
  return (
    <div class="field">
      <label for={id}>{label}</label>
      {secret ? <input type="password" {...common} /> : <input type="text" {...common} />}
    </div>
  );
}
