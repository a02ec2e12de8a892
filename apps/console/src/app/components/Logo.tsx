export function Logo() {
  return (
    <svg className="logo" viewBox="0 0 32 32" width="32" height="32" aria-hidden="true" focusable="false">
      <rect width="32" height="32" rx="7" fill="currentColor" />
      <path d="M9 10h14M9 16h14M9 22h9" stroke="white" strokeWidth="3" strokeLinecap="round" />
    </svg>
  );
}
