/**
 * The typed address columns of `audit_events` that `ip:` is compiled to (ClickHouse migration 006): the
 * stored `ipAddress` text read once, when the row is written, as the language reads an address (values.ts,
 * `parseIp`), instead of parsed for every row of every search. A search compares 4 or 16 bytes a row
 * (`ipV4 BETWEEN first AND last`) where it read the whole String column and ran a regular expression and
 * toIPv4OrNull/toIPv6OrNull on each value.
 *
 * Two columns rather than one IPv6 with IPv4 mapped into it: the language keeps the families apart
 * (`1.2.3.4` is in 1.2.3.0/24 and not in ::ffff:0:0/96; `::ffff:1.2.3.4` the other way round), and one
 * column could not tell the two spellings of the same bits apart.
 */

/** The stored address when its text is a dotted quad as the language reads one, else NULL. */
export const IP_V4_COLUMN = 'ipV4';
/** The stored address when its text is IPv6 as the language reads it, else NULL (a zone id `%eth0` too). */
export const IP_V6_COLUMN = 'ipV6';

/** An octet as the language reads one: 0–255 without a leading zero (a leading zero has no agreed meaning). */
const OCTET = '(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])';
/** A dotted quad as the language reads one; the other spellings toIPv4OrNull accepts are no IPv4 address here. */
const DOTTED_QUAD = `^${OCTET}([.]${OCTET}){3}$`;
/**
 * IPv6 text: hex digits and colons, or those and, after a colon, a dotted quad as above (toIPv6OrNull alone
 * would read `::ffff:010.0.0.1`). No `%`: a zone id is refused, as Postgres' inet refuses it.
 */
const V6_TEXT = `^([0-9A-Fa-f:]+|[0-9A-Fa-f:]*:${OCTET}([.]${OCTET}){3})$`;

/**
 * The columns' MATERIALIZED expressions, exactly as migration 006 writes them (a ClickHouse test computes
 * both over odd addresses and compares them with the stored columns, so the two cannot drift apart). The
 * text test comes first so that toIPv4OrNull/toIPv6OrNull only see what the language reads as an address
 * of that family; the property test in chDB compares every `ip:` search and its negation with `matches`.
 */
export const IP_V4_EXPRESSION = `if(match(ifNull(ipAddress, ''), '${DOTTED_QUAD}'), toIPv4OrNull(ifNull(ipAddress, '')), NULL)`;
export const IP_V6_EXPRESSION = `if(position(ifNull(ipAddress, ''), ':') > 0 AND match(ifNull(ipAddress, ''), '${V6_TEXT}'), toIPv6OrNull(ifNull(ipAddress, '')), NULL)`;
