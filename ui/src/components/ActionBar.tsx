// The actions with a confirmation dialog and immediate feedback: the server's message
// on success, the API's reason (e.g. RBAC's "forbidden") on failure.
import { useRef, useState } from 'react';
import { runAction } from '../api';
import { actionsFor } from '../format';
import type { Action, RolloutView, Session } from '../types';

const LABELS: Record<Action, { label: string; explain: string }> = {
  promote: { label: 'Promote', explain: 'End the current pause (or skip the current step) and go on to the next step.' },
  'promote-full': { label: 'Promote full', explain: 'Skip every remaining step and make this revision stable.' },
  abort: { label: 'Abort', explain: 'Send all traffic back to the stable revision and scale the canary down.' },
  retry: { label: 'Retry', explain: 'Run the steps of this aborted update again from the first step.' },
  restart: { label: 'Restart', explain: 'Replace every pod, within maxUnavailable.' },
  pause: { label: 'Pause', explain: 'Stop the rollout where it is (spec.paused).' },
  resume: { label: 'Resume', explain: 'Clear spec.paused; a pause step still needs Promote.' },
};

type Feedback = { kind: 'ok' | 'error' | 'busy'; text: string } | null;

export function ActionBar({ rollout, session }: { rollout: RolloutView; session: Session }) {
  const dialog = useRef<HTMLDialogElement>(null);
  const [pending, setPending] = useState<Action | null>(null);
  const [feedback, setFeedback] = useState<Feedback>(null);
  if (session.readOnly) return null;
  const sensible = actionsFor(rollout);
  const actions = session.actions.filter((a) => sensible.has(a));

  const ask = (a: Action) => {
    setPending(a);
    dialog.current?.showModal();
  };
  const confirm = async () => {
    const a = pending;
    dialog.current?.close();
    if (!a) return;
    setFeedback({ kind: 'busy', text: `${LABELS[a].label}…` });
    try {
      setFeedback({ kind: 'ok', text: await runAction(rollout.namespace, rollout.name, a) });
    } catch (e) {
      setFeedback({ kind: 'error', text: e instanceof Error ? e.message : String(e) });
    }
  };

  return (
    <div className="actions">
      <div className="buttons" role="group" aria-label="Actions">
        {actions.map((a) => (
          <button key={a} type="button" className={`action ${a}`} onClick={() => ask(a)}>
            {LABELS[a].label}
          </button>
        ))}
      </div>
      <div
        className={`feedback ${feedback?.kind ?? ''}`}
        role={feedback?.kind === 'error' ? 'alert' : 'status'}
        aria-live="polite"
        data-testid="action-feedback"
      >
        {feedback?.text}
      </div>
      <dialog ref={dialog} aria-labelledby="confirm-title" onClose={() => setPending(null)}>
        {pending && (
          <form method="dialog" onSubmit={(e) => { e.preventDefault(); void confirm(); }}>
            <h2 id="confirm-title">
              {LABELS[pending].label} {rollout.namespace}/{rollout.name}?
            </h2>
            <p>{LABELS[pending].explain}</p>
            <div className="dialog-buttons">
              <button type="button" onClick={() => dialog.current?.close()}>
                Cancel
              </button>
              <button type="submit" className={`action ${pending}`} autoFocus>
                Confirm {LABELS[pending].label.toLowerCase()}
              </button>
            </div>
          </form>
        )}
      </dialog>
    </div>
  );
}
