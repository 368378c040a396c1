import type { AudioStats } from './types.ts';

/** Stats when no peer connection is reachable. */
export const NO_STATS: AudioStats = { packetsReceived: null, packetsLost: null, concealedSamples: null, totalSamplesReceived: null, jitter: null };

/**
 * Picks the audio `inbound-rtp` entry out of a WebRTC stats report
 * (https://www.w3.org/TR/webrtc-stats/#inboundrtpstats-dict*). With several (renegotiated
 * peers), the one with the most packets is the live one.
 */
export function inboundAudioStats(report: RTCStatsReport | undefined | null): AudioStats {
  if (!report) return NO_STATS;
  let best: Record<string, unknown> | null = null;
  report.forEach((entry: Record<string, unknown>) => {
    if (entry.type !== 'inbound-rtp' || (entry.kind ?? entry.mediaType) !== 'audio') return;
    if (!best || (num(entry.packetsReceived) ?? -1) > (num(best.packetsReceived) ?? -1)) best = entry;
  });
  if (!best) return NO_STATS;
  const s = best as Record<string, unknown>;
  return {
    packetsReceived: num(s.packetsReceived),
    packetsLost: num(s.packetsLost),
    concealedSamples: num(s.concealedSamples),
    totalSamplesReceived: num(s.totalSamplesReceived),
    jitter: num(s.jitter),
  };
}

function num(v: unknown): number | null {
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}
