import { useEffect, useId, useRef, useState, type KeyboardEvent } from 'react';
import { isAbort, type ApiClient } from '../api';
import { applySuggestion, localSuggestions, userSuggestions, wordAt, type Suggestion, type TypedWord } from '../search-completion';
import type { UserSuggestion } from '../types';
import { SearchIcon } from './icons';

interface Props {
  api: ApiClient;
  value: string;
  onChange: (text: string) => void;
  /** The server's objection to the search as applied (e.g. a syntax error with its position), shown under the box. */
  problem?: string;
}

/**
 * The search box: the query language (README "Search") with completion of qualifiers, action types and
 * the organization's users (GET /v1/users?q=). A combobox: arrows move through the suggestions, Enter or
 * Tab takes one, Escape closes them; Enter with none highlighted applies the search (the form's submit).
 */
export function SearchBox({ api, value, onChange, problem }: Props) {
  const input = useRef<HTMLInputElement>(null);
  const [word, setWord] = useState<TypedWord | null>(null);
  const [suggestions, setSuggestions] = useState<Suggestion[]>([]);
  const [active, setActive] = useState(-1);
  const listId = useId();
  const inputId = useId();

  const refresh = (text: string, caret: number) => setWord(wordAt(text, caret));

  useEffect(() => {
    if (!word) return setSuggestions([]);
    const local = localSuggestions(word);
    if (word.qualifier !== 'user') {
      setSuggestions(local);
      setActive(-1);
      return;
    }
    // Users come from the server, a moment after typing stops.
    const controller = new AbortController();
    const timer = setTimeout(() => {
      api.get<{ items: UserSuggestion[] }>('/v1/users', new URLSearchParams({ q: word.value.replace(/^"|"$/g, ''), limit: '8' }), controller.signal).then(
        (body) => {
          setSuggestions(userSuggestions(body.items));
          setActive(-1);
        },
        (error: unknown) => {
          if (!isAbort(error)) setSuggestions([]);
        },
      );
    }, 150);
    return () => {
      clearTimeout(timer);
      controller.abort();
    };
  }, [word?.start, word?.end, word?.qualifier, word?.value, api]);

  const take = (suggestion: Suggestion) => {
    if (!word) return;
    const next = applySuggestion(value, word, suggestion);
    onChange(next.text);
    requestAnimationFrame(() => {
      input.current?.setSelectionRange(next.caret, next.caret);
      refresh(next.text, next.caret);
    });
  };

  const onKeyDown = (event: KeyboardEvent<HTMLInputElement>) => {
    if (suggestions.length === 0) return;
    if (event.key === 'ArrowDown' || event.key === 'ArrowUp') {
      event.preventDefault();
      const step = event.key === 'ArrowDown' ? 1 : -1;
      setActive((i) => (i + step + suggestions.length) % suggestions.length);
    } else if ((event.key === 'Enter' || event.key === 'Tab') && active >= 0) {
      event.preventDefault();
      take(suggestions[active]);
    } else if (event.key === 'Escape') {
      setSuggestions([]);
    }
  };

  const open = suggestions.length > 0;
  return (
    <div className="search-field search-box">
      <label htmlFor={inputId} className="sr-only">
        Search events
      </label>
      <SearchIcon />
      <input
        id={inputId}
        ref={input}
        type="search"
        role="combobox"
        aria-expanded={open}
        aria-controls={listId}
        aria-autocomplete="list"
        aria-activedescendant={active >= 0 ? `${listId}-${active}` : undefined}
        aria-invalid={problem ? true : undefined}
        value={value}
        onChange={(e) => {
          onChange(e.target.value);
          refresh(e.target.value, e.target.selectionStart ?? e.target.value.length);
        }}
        onKeyDown={onKeyDown}
        onFocus={(e) => refresh(e.target.value, e.target.selectionStart ?? e.target.value.length)}
        onBlur={() => setTimeout(() => setSuggestions([]), 150)}
        placeholder="Search: action:LOGIN user:ada@example.com -ip:10.0.0.0/8 free text…"
        autoComplete="off"
        spellCheck={false}
      />
      {open && (
        <ul id={listId} role="listbox" className="search-suggestions">
          {suggestions.map((s, i) => (
            <li
              key={s.insert}
              id={`${listId}-${i}`}
              role="option"
              aria-selected={i === active}
              onMouseDown={(e) => {
                e.preventDefault();
                take(s);
              }}
            >
              <span className="mono">{s.label}</span>
              {s.hint && <span className="muted small"> {s.hint}</span>}
            </li>
          ))}
        </ul>
      )}
      {problem && (
        <span className="text-danger small search-problem" role="alert">
          {problem}
        </span>
      )}
    </div>
  );
}
