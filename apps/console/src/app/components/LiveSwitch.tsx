import type { LiveTail } from '../use-live-tail';

const STATUS_TEXT: Record<LiveTail['status'], string> = {
  off: '',
  connecting: 'Connecting…',
  live: 'New events appear at the top as they arrive.',
  reconnecting: 'Connection lost: reconnecting without missing events…',
  error: 'Live stopped',
};

/** The Live switch above the list: while on, the view's new events stream into the top of the table. */
export function LiveSwitch({ on, tail, onChange }: { on: boolean; tail: LiveTail; onChange: (on: boolean) => void }) {
  return (
    <div className="live-bar">
      <button type="button" className="button ghost live-switch" aria-pressed={on} onClick={() => onChange(!on)} title="Stream new events of this view into the top of the list">
        <span className="live-dot" aria-hidden="true" />
        Live
      </button>
      {on && (
        <span className={`small ${tail.status === 'error' ? 'text-danger' : 'muted'}`} role="status">
          {STATUS_TEXT[tail.status]}
          {tail.error && tail.status !== 'live' ? `: ${tail.error}` : ''}
          {tail.items.length > 0 ? ` (${tail.items.length} new)` : ''}
        </span>
      )}
    </div>
  );
}
