import { useEffect, useId, useMemo, useRef, useState } from 'react';
import type { ActionType } from '@audit/contracts';
import { CONSOLE_GROUPS, describeAction } from '../action-types';
import { usePopover } from './use-popover';
import { Chevron } from './icons';

interface Props {
  selected: readonly ActionType[];
  onChange: (next: ActionType[]) => void;
}

/**
 * Multi-select of the 34 action types in five groups. Choices are collected in the panel and applied when
 * it closes (Apply, Escape or a click outside), so ticking five boxes reloads the table once.
 */
export function ActionTypeSelect({ selected, onChange }: Props) {
  const [draft, setDraft] = useState<Set<ActionType>>(() => new Set(selected));
  const [search, setSearch] = useState('');
  const draftRef = useRef(draft);
  draftRef.current = draft;
  const selectedKey = selected.join(',');

  const commit = () => {
    const next = CONSOLE_GROUPS.flatMap((g) => g.types.filter((t) => draftRef.current.has(t)));
    if (next.join(',') !== selectedKey) onChange(next);
  };
  const popover = usePopover(commit);
  const panelId = useId();
  const searchId = useId();

  useEffect(() => {
    if (!popover.open) setDraft(new Set(selected));
  }, [selectedKey, popover.open]);

  const needle = search.trim().toLowerCase();
  const groups = useMemo(
    () =>
      CONSOLE_GROUPS.map((g) => ({
        ...g,
        visible: g.types.filter((t) => !needle || t.toLowerCase().includes(needle) || describeAction(t).toLowerCase().includes(needle) || g.label.toLowerCase().includes(needle)),
      })).filter((g) => g.visible.length > 0),
    [needle],
  );

  const toggle = (type: ActionType) => {
    const next = new Set(draft);
    if (next.has(type)) next.delete(type);
    else next.add(type);
    setDraft(next);
  };
  const toggleGroup = (types: readonly ActionType[], on: boolean) => {
    const next = new Set(draft);
    types.forEach((t) => (on ? next.add(t) : next.delete(t)));
    setDraft(next);
  };

  const summary =
    selected.length === 0 ? 'All actions' : selected.length === 1 ? selected[0] : `${selected.length} actions`;

  return (
    <div className="popover-anchor">
      <button
        type="button"
        className={`button select${selected.length > 0 ? ' has-value' : ''}`}
        ref={popover.buttonRef}
        aria-expanded={popover.open}
        aria-controls={panelId}
        aria-haspopup="dialog"
        onClick={popover.toggle}
      >
        <span className="select-label">Action</span>
        <span className="select-value">{summary}</span>
        <Chevron />
      </button>
      {popover.open && (
        <div className="popover action-select" id={panelId} role="dialog" aria-label="Filter by action type" ref={popover.panelRef} onKeyDown={popover.onKeyDown}>
          <div className="action-select-head">
            <label htmlFor={searchId} className="sr-only">
              Find an action type
            </label>
            <input
              id={searchId}
              type="search"
              placeholder="Find an action…"
              value={search}
              onChange={(e) => setSearch(e.target.value)}
              onKeyDown={(e) => {
                if (e.key === 'Enter') {
                  e.preventDefault();
                  popover.close();
                }
              }}
              autoComplete="off"
            />
          </div>
          <div className="action-groups">
            {groups.map((g) => {
              const on = g.types.filter((t) => draft.has(t)).length;
              return (
                <fieldset key={g.id} className={`action-group group-${g.id}`}>
                  <legend>
                    <label className="group-toggle">
                      <input
                        type="checkbox"
                        checked={on === g.types.length}
                        ref={(el) => {
                          if (el) el.indeterminate = on > 0 && on < g.types.length;
                        }}
                        onChange={(e) => toggleGroup(g.types, e.target.checked)}
                      />
                      <span>{g.label}</span>
                      <span className="muted small">{on > 0 ? `${on}/${g.types.length}` : g.types.length}</span>
                    </label>
                  </legend>
                  {g.visible.map((t) => (
                    <label key={t} className="action-option" title={describeAction(t)}>
                      <input type="checkbox" checked={draft.has(t)} onChange={() => toggle(t)} value={t} />
                      <span className="action-code">{t}</span>
                      <span className="action-desc">{describeAction(t)}</span>
                    </label>
                  ))}
                </fieldset>
              );
            })}
            {groups.length === 0 && <p className="muted small">No action type matches “{search}”.</p>}
          </div>
          <div className="popover-foot">
            <span className="muted small">{draft.size === 0 ? 'All action types' : `${draft.size} selected`}</span>
            <button type="button" className="button ghost" onClick={() => setDraft(new Set())} disabled={draft.size === 0}>
              Clear
            </button>
            <button type="button" className="button primary" onClick={() => popover.close()}>
              Apply
            </button>
          </div>
        </div>
      )}
    </div>
  );
}
