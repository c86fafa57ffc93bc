import { describe, expect, it } from '@jest/globals';
import { Registry } from 'prom-client';
import { createMetrics } from './metrics.js';
import { observeSourceText } from './source-metrics.js';

describe('observeSourceText', () => {
  it('reads the held source text at each scrape, beside its budget', async () => {
    const metrics = createMetrics(new Registry(), { processMetrics: false });
    let held = 1024;
    observeSourceText(metrics, () => held, 32 * 1024 * 1024);
    const value = async (name: string) => (await metrics.registry.getSingleMetric(name)!.get()).values[0]!.value;
    expect(await value('kclguard_source_text_bytes')).toBe(1024);
    held = 4096;
    expect(await value('kclguard_source_text_bytes')).toBe(4096);
    expect(await value('kclguard_source_text_budget_bytes')).toBe(32 * 1024 * 1024);
    expect(await metrics.registry.metrics()).toContain('kclguard_source_text_bytes 4096');
  });
});
