import type { RedisLocation } from './redis-online-store.js';

/** FEATURESTORE_ONLINE_URL: Redis, Redis Cluster, PostgreSQL, or the catalog's own database. */
export type OnlineLocation = { type: 'redis'; redis: RedisLocation } | { type: 'postgres'; url: string } | { type: 'catalog' };

/** Undefined when the URL is none of redis://, rediss://, redis-cluster://h:p,h:p, postgres://, catalog. */
export function parseOnlineUrl(url: string): OnlineLocation | undefined {
  if (url === 'catalog') return { type: 'catalog' };
  if (/^rediss?:\/\/[^/]+/.test(url)) return { type: 'redis', redis: { mode: 'standalone', url } };
  if (/^postgres(ql)?:\/\//.test(url)) return { type: 'postgres', url };
  const cluster = /^redis-cluster:\/\/(.+)$/.exec(url);
  if (cluster) {
    const nodes = cluster[1].split(',').map((hp) => {
      const m = /^([A-Za-z0-9.-]+):(\d{1,5})$/.exec(hp.trim());
      return m ? { host: m[1], port: Number(m[2]) } : undefined;
    });
    if (nodes.length > 0 && nodes.every(Boolean)) return { type: 'redis', redis: { mode: 'cluster', nodes: nodes as { host: string; port: number }[] } };
  }
  return undefined;
}
