import { describe, expect, it } from 'vitest';
import { describeSchedule, formatDuration, formatInZone, jobZone, parseTime, relativeTime } from './schedule';

describe('schedule helpers', () => {
  const now = new Date('2026-11-27T12:00:00Z');
  it('reads Go zero times and nulls as none', () => {
    expect(parseTime('0001-01-01T00:00:00Z')).toBeNull();
    expect(parseTime(null)).toBeNull();
    expect(parseTime('')).toBeNull();
    expect(parseTime('2026-11-27T12:00:12.5+01:00')?.toISOString()).toBe('2026-11-27T11:00:12.500Z');
  });
  it('says relative times both ways', () => {
    expect(relativeTime(new Date('2026-11-27T12:00:12Z'), now)).toBe('in 12 s');
    expect(relativeTime(new Date('2026-11-27T11:57:00Z'), now)).toBe('3 min ago');
    expect(relativeTime(new Date('2026-11-27T14:30:00Z'), now)).toBe('in 2 h');
    expect(relativeTime(new Date('2026-11-22T12:00:00Z'), now)).toBe('5 d ago');
    expect(relativeTime(now, now)).toBe('now');
  });
  it('shows times in the job zone, UTC when it has none', () => {
    const d = new Date('2026-07-01T10:00:00Z');
    expect(formatInZone(d, 'UTC')).toBe('2026-07-01 10:00:00 UTC');
    expect(formatInZone(d, 'Asia/Tokyo')).toMatch(/^2026-07-01 19:00:00 /);
    expect(formatInZone(d, 'America/New_York')).toMatch(/^2026-07-01 06:00:00 /);
    expect(formatInZone(d, 'Not/AZone')).toBe('2026-07-01 10:00:00 UTC');
    expect(jobZone('')).toBe('UTC');
    expect(jobZone('Europe/Paris')).toBe('Europe/Paris');
  });
  it('formats durations', () => {
    expect(formatDuration(250)).toBe('250 ms');
    expect(formatDuration(1500)).toBe('1.5 s');
    expect(formatDuration(184_000)).toBe('3 min 4 s');
    expect(formatDuration(2 * 3600_000 + 5 * 60_000)).toBe('2 h 5 min');
  });
  it('describes schedules in words', () => {
    expect(describeSchedule('@daily')).toBe('once a day, at midnight');
    expect(describeSchedule('@every 10s')).toBe('every 10s');
    expect(describeSchedule('0 30 2 * * *')).toBe('every day at 02:30:00');
    expect(describeSchedule('30 2 * * *')).toBe('every day at 02:30:00');
    expect(describeSchedule('0 * * * * *')).toBe('every minute');
    expect(describeSchedule('* * * * * *')).toBe('every second');
    expect(describeSchedule('0 */15 * * * *')).toBe('second 0, every 15 minutes');
    expect(describeSchedule('0 0 9 * * 1')).toBe('second 0, minute 0, hour 9, weekday Monday');
    expect(describeSchedule('nonsense')).toBe('nonsense');
  });
});
