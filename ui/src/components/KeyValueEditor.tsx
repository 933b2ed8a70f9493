import { useId } from 'react';

export type Pairs = Array<[string, string]>;

export function toPairs(m: Record<string, string> | null | undefined): Pairs {
  return Object.entries(m ?? {});
}

export function fromPairs(p: Pairs): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of p) if (k.trim()) out[k.trim()] = v;
  return out;
}

/** Rows of key/value inputs with add and remove buttons, each labelled. */
export function KeyValueEditor({
  label,
  value,
  onChange,
  keyPlaceholder = 'key',
  valuePlaceholder = 'value',
  describedBy,
}: {
  label: string;
  value: Pairs;
  onChange: (p: Pairs) => void;
  keyPlaceholder?: string;
  valuePlaceholder?: string;
  describedBy?: string;
}) {
  const id = useId();
  const set = (i: number, k: string, v: string) => onChange(value.map((p, j) => (j === i ? [k, v] : p)));
  return (
    <fieldset className="kv" aria-describedby={describedBy}>
      <legend>{label}</legend>
      {value.map(([k, v], i) => (
        <div className="kv-row" key={i}>
          <label className="sr-only" htmlFor={`${id}-k${i}`}>
            {label} key {i + 1}
          </label>
          <input id={`${id}-k${i}`} value={k} placeholder={keyPlaceholder} onChange={(e) => set(i, e.target.value, v)} />
          <label className="sr-only" htmlFor={`${id}-v${i}`}>
            {label} value {i + 1}
          </label>
          <input id={`${id}-v${i}`} value={v} placeholder={valuePlaceholder} onChange={(e) => set(i, k, e.target.value)} />
          <button type="button" className="link" onClick={() => onChange(value.filter((_, j) => j !== i))}>
            Remove<span className="sr-only"> {k || `row ${i + 1}`}</span>
          </button>
        </div>
      ))}
      <button type="button" onClick={() => onChange([...value, ['', '']])}>
        Add<span className="sr-only"> to {label}</span>
      </button>
    </fieldset>
  );
}
