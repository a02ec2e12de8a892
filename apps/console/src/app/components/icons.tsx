import type { ReactNode } from 'react';

/**
 * A line icon drawn in the text's colour: decorative (hidden from screen readers and never focused), as
 * the label beside it says what the control does.
 */
function LineIcon({ viewBox, size, stroke = 1.6, className, children }: { viewBox: number; size: number; stroke?: number; className?: string; children: ReactNode }) {
  return (
    <svg className={className} viewBox={`0 0 ${viewBox} ${viewBox}`} width={size} height={size} aria-hidden="true" focusable="false">
      <g fill="none" stroke="currentColor" strokeWidth={stroke} strokeLinecap="round" strokeLinejoin="round">
        {children}
      </g>
    </svg>
  );
}

export function SearchIcon() {
  return (
    <LineIcon className="search-icon" viewBox={16} size={15}>
      <circle cx="7" cy="7" r="4.8" />
      <path d="M10.6 10.6 14 14" />
    </LineIcon>
  );
}

export function RefreshIcon() {
  return (
    <LineIcon viewBox={16} size={15}>
      <path d="M13.5 8A5.5 5.5 0 1 1 11.9 4.1M13.5 2.5v3h-3" />
    </LineIcon>
  );
}

export function DownloadIcon() {
  return (
    <LineIcon viewBox={16} size={14}>
      <path d="M8 2v8m0 0L4.5 6.5M8 10l3.5-3.5M3 13h10" />
    </LineIcon>
  );
}

export function Chevron() {
  return (
    <LineIcon className="chevron" viewBox={12} size={12} stroke={1.5}>
      <path d="M3 4.5 6 7.5 9 4.5" />
    </LineIcon>
  );
}
