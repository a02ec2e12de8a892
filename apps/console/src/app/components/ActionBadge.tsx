import { describeAction, groupOf } from '../action-types';

/** An action identifier, tinted by its console group, with the reference's description on hover. */
export function ActionBadge({ type }: { type: string }) {
  return (
    <span className={`action-badge group-${groupOf(type)}`} title={describeAction(type)}>
      {type}
    </span>
  );
}
