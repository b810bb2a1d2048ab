// Dashboard page: how numbers and times are written (fixed locale, so the page reads the same everywhere).

const price = new Intl.NumberFormat('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 });
const volume = new Intl.NumberFormat('en-US');
const clock = new Intl.DateTimeFormat('en-GB', { hour: '2-digit', minute: '2-digit', second: '2-digit' });

export const formatPrice = (n: number): string => price.format(n);
export const formatVolume = (n: number): string => volume.format(n);
export const formatTime = (ms: number): string => clock.format(new Date(ms));

/** A signed amount with an arrow, so the direction does not depend on colour alone. */
export function formatChange(n: number, suffix = ''): string {
  const arrow = n > 0 ? '▲' : n < 0 ? '▼' : '■';
  const sign = n > 0 ? '+' : n < 0 ? '−' : '';
  return `${arrow} ${sign}${price.format(Math.abs(n))}${suffix}`;
}

/** `up`, `down` or `flat`: the class that colours a change. */
export function direction(n: number): 'up' | 'down' | 'flat' {
  return n > 0 ? 'up' : n < 0 ? 'down' : 'flat';
}
