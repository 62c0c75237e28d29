export function Phase({ phase }: { phase: string }) {
  return <span className={`badge phase-${phase.toLowerCase()}`}>{phase}</span>;
}
