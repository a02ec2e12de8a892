import { useEffect, useId, useRef, useState } from 'react';
import { isAbort, type ApiClient } from '../api';
import type { UserSuggestion } from '../types';

interface Props {
  api: ApiClient;
  value: string;
  onChange: (userId: string) => void;
}

const label = (u: UserSuggestion) => u.email ?? u.userName ?? u.id;

/**
 * The user filter: a combobox that suggests the organization's users by email or name (GET /v1/users)
 * and filters by the chosen user's id. Enter with no suggestion highlighted filters by the typed text as an id.
 */
export function UserFilter({ api, value, onChange }: Props) {
  const [text, setText] = useState(value);
  const [chosen, setChosen] = useState<UserSuggestion | null>(null);
  const [open, setOpen] = useState(false);
  const [items, setItems] = useState<UserSuggestion[]>([]);
  const [active, setActive] = useState(-1);
  const [unavailable, setUnavailable] = useState(false);
  const inputId = useId();
  const listId = useId();
  const typed = useRef(false);

  // Show the chosen user's email rather than the bare id when the value came from a suggestion.
  useEffect(() => {
    setText(chosen && chosen.id === value ? label(chosen) : value);
  }, [value, chosen]);

  // A view opened from a link knows only the id: look the user up once to show who it is.
  useEffect(() => {
    if (!value || (chosen && chosen.id === value)) return;
    const controller = new AbortController();
    api.get<{ items: UserSuggestion[] }>('/v1/users', new URLSearchParams({ q: value, limit: '20' }), controller.signal).then(
      (body) => {
        const match = body.items.find((u) => u.id === value);
        if (match) setChosen(match);
      },
      () => undefined, // The id itself stays shown; the filter works without the lookup.
    );
    return () => controller.abort();
  }, [value, chosen, api]);

  useEffect(() => {
    if (!open || !typed.current) return;
    const controller = new AbortController();
    const handle = window.setTimeout(() => {
      api.get<{ items: UserSuggestion[] }>('/v1/users', new URLSearchParams({ q: text.trim(), limit: '8' }), controller.signal).then(
        (body) => {
          setItems(body.items);
          setUnavailable(false);
          setActive(-1);
        },
        (error: unknown) => {
          if (!isAbort(error)) {
            setItems([]);
            setUnavailable(true);
          }
        },
      );
    }, 180);
    return () => {
      controller.abort();
      window.clearTimeout(handle);
    };
  }, [text, open, api]);

  const choose = (user: UserSuggestion | null) => {
    setOpen(false);
    typed.current = false;
    if (user) {
      setChosen(user);
      onChange(user.id);
    } else {
      setChosen(null);
      onChange(text.trim());
    }
  };

  const clear = () => {
    setOpen(false);
    setChosen(null);
    setText('');
    onChange('');
  };

  const showList = open && (items.length > 0 || unavailable);

  return (
    <div className="combobox">
      <label htmlFor={inputId} className="select-label inline">
        User
      </label>
      <input
        id={inputId}
        role="combobox"
        aria-expanded={showList}
        aria-controls={listId}
        aria-autocomplete="list"
        aria-activedescendant={active >= 0 ? `${listId}-${active}` : undefined}
        value={text}
        placeholder="Anyone"
        autoComplete="off"
        spellCheck={false}
        onChange={(e) => {
          typed.current = true;
          setText(e.target.value);
          setOpen(true);
        }}
        onFocus={() => {
          typed.current = true;
          setOpen(true);
        }}
        onBlur={() => window.setTimeout(() => setOpen(false), 120)}
        onKeyDown={(e) => {
          if (e.key === 'ArrowDown') {
            e.preventDefault();
            setOpen(true);
            setActive((i) => Math.min(items.length - 1, i + 1));
          } else if (e.key === 'ArrowUp') {
            e.preventDefault();
            setActive((i) => Math.max(-1, i - 1));
          } else if (e.key === 'Enter') {
            e.preventDefault();
            choose(active >= 0 ? (items[active] ?? null) : null);
          } else if (e.key === 'Escape') {
            if (open) {
              e.stopPropagation();
              setOpen(false);
            }
          }
        }}
      />
      {value && (
        <button type="button" className="clear-x" aria-label="Clear user filter" onClick={clear}>
          ×
        </button>
      )}
      {showList && (
        <ul className="listbox" id={listId} role="listbox" aria-label="Users">
          {unavailable && <li className="muted small listbox-note">Suggestions are unavailable; press Enter to filter by this user id.</li>}
          {items.map((u, i) => (
            <li
              key={u.id}
              id={`${listId}-${i}`}
              role="option"
              aria-selected={i === active}
              className={i === active ? 'active' : undefined}
              onMouseDown={(e) => {
                e.preventDefault();
                choose(u);
              }}
              onMouseEnter={() => setActive(i)}
            >
              <span className="option-main">{u.email ?? u.userName ?? u.id}</span>
              <span className="option-sub muted small">
                {u.email && u.userName ? `${u.userName} · ` : ''}
                {u.id}
              </span>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
