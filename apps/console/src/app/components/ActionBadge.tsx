import { Fragment } from 'react';
import { describeAction, groupOf } from '../action-types';

/**
 * An action identifier, tinted by its console group, with the reference's description on hover. Long
 * identifiers (REQUEST_PASSWORDLESS_LOGIN) wrap after an underscore rather than being cut off.
 */
export function ActionBadge({ type }: { type: string }) {
  const parts = type.split('_');
  return (
    <span className={`action-badge group-${groupOf(type)}`} title={describeAction(type)}>
      {parts.map((part, i) => (
        <Fragment key={i}>
          {part}
          {i < parts.length - 1 && (
            <>
              _<wbr />
            </>
          )}
        </Fragment>
      ))}
    </span>
  );
}
