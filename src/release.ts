/**
 * The date this release was cut. The NTP server treats any host clock reading earlier than
 * this as implausible (a router that booted without an RTC and thinks it is 1970) and refuses
 * to hand that time to cameras. Bump it with every release.
 */
export const RELEASE_DATE = new Date('2026-11-21T00:00:00Z');
