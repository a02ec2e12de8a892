import type { ApiClient } from '../api';
import type { ConsoleFilters, TimeWindow } from '../filters';
import type { View } from '../router';
import type { TokenClaims } from '../session';
import { Downloads } from './Downloads';
import { Logo } from './Logo';

interface Props {
  claims: TokenClaims | null;
  view: View;
  onNavigate: (view: View) => void;
  /** The address of a view with the current filters (for a new tab or a copied link). */
  hrefOf: (view: View) => string;
  onSignOut: () => void;
  api: ApiClient;
  filters: ConsoleFilters;
  window: TimeWindow;
}

const TABS: Array<{ view: View; label: string }> = [
  { view: 'events', label: 'Events' },
  { view: 'insights', label: 'Insights' },
  { view: 'checkpoints', label: 'Checkpoints' },
  { view: 'settings', label: 'Settings' },
];

export function Header({ claims, view, onNavigate, hrefOf, onSignOut, api, filters, window }: Props) {
  return (
    <header className="topbar">
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <div className="brand">
        <Logo />
        <span className="brand-name">Audit log</span>
        {claims?.organizationId && (
          <span className="org-badge" title="Organization of your token">
            {claims.organizationId}
          </span>
        )}
      </div>
      <nav className="tabs" aria-label="Views">
        {TABS.map((tab) => (
          <a
            key={tab.view}
            href={hrefOf(tab.view)}
            className={`tab${tab.view === view ? ' active' : ''}`}
            aria-current={tab.view === view ? 'page' : undefined}
            onClick={(e) => {
              if (e.metaKey || e.ctrlKey || e.shiftKey) return;
              e.preventDefault();
              onNavigate(tab.view);
            }}
          >
            {tab.label}
          </a>
        ))}
      </nav>
      <div className="topbar-actions">
        <Downloads api={api} filters={filters} window={window} />
        <span className="whoami" title={claims?.expiresAt ? `Token expires ${claims.expiresAt.toLocaleString()}` : undefined}>
          {claims?.subject ?? 'Administrator'}
          {claims?.role && <span className="role">{claims.role}</span>}
        </span>
        <button type="button" className="button ghost" onClick={onSignOut}>
          Sign out
        </button>
      </div>
    </header>
  );
}
