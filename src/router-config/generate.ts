import { renderDnsmasq } from './dnsmasq.js';
import { planRouterConfig, type RouterConfigPlan, type RouterConfigRequest, type Target } from './model.js';
import { renderNftables } from './nftables.js';
import { renderOpenWrt } from './openwrt.js';
import { renderRouterOs } from './routeros.js';

const RENDERERS: Readonly<Record<Target, (plan: RouterConfigPlan) => string>> = {
  routeros: renderRouterOs,
  nftables: renderNftables,
  openwrt: renderOpenWrt,
  dnsmasq: renderDnsmasq,
};

/** Validates the request and returns the configuration text for its target. Throws CamshimError (ROUTER_CONFIG_*). */
export function generateRouterConfig(request: RouterConfigRequest): string {
  const plan = planRouterConfig(request);
  return RENDERERS[plan.target](plan);
}
