import ipaddr from 'ipaddr.js';
import { CamshimError } from '../errors.js';

/**
 * The validated description of one camera VLAN set-up that every target renders. Parsing and
 * checking happen here once, so the generators only print: they never see a bad address.
 */

export const TARGETS = ['routeros', 'nftables', 'openwrt', 'dnsmasq'] as const;
export type Target = (typeof TARGETS)[number];
export type Family = 4 | 6;

export const DNS_PORT = 53;
export const NTP_PORT = 123;
/** DHCP server ports a camera renews its lease on (DHCPv4, DHCPv6). */
export const DHCP_SERVER_PORT: Readonly<Record<Family, number>> = { 4: 67, 6: 547 };
/** What the NVR opens on a camera: HTTP 80 (also ONVIF), HTTPS 443, RTSP 554, ONVIF 8000 and 8899. */
export const CAMERA_TCP_PORTS: readonly number[] = [80, 443, 554, 8000, 8899];
export const DEFAULT_INTERFACE = 'cameras';

/**
 * Why each rule exists, written once and printed beside the rule by every target. Kept under
 * 120 bytes because nftables stores rule comments in 128 bytes.
 */
export const WHY = {
  dnsRedirect: 'camshim: DNS to any server goes to camshim (cameras hard-code 8.8.8.8, 114.114.114.114)',
  ntpRedirect: 'camshim: NTP to any server goes to camshim (cameras hard-code NTP server addresses)',
  hairpin: 'camshim: hairpin for redirected DNS/NTP when camshim is another host on the camera VLAN',
  established: 'camshim: replies within connections already allowed (the NVR pulling video)',
  invalid: 'camshim: packets that belong to no connection',
  toCamshim: 'camshim: the cameras reach camshim for DNS (53) and NTP (123)',
  camshimOut: 'camshim: camshim on another host of the VLAN reaches its upstream resolvers and time',
  toNvr: 'camshim: the cameras reach the NVR (events, uploads, RTP streams)',
  noInternet: 'camshim: no internet for the cameras: stops call-home to literal cloud IPs DNS never sees',
  nvrToCameras: 'camshim: the NVR opens HTTP 80, HTTPS 443, RTSP 554, ONVIF 8000/8899 on the cameras',
  nvrOtherPorts: 'camshim: the NVR opens only the camera TCP ports (80, 443, 554, 8000, 8899)',
  nobodyElseIn: 'camshim: only the NVR opens connections to the cameras (no port forwards, no other LANs)',
  dhcp: 'camshim: DHCP lease renewals from the cameras',
  icmp: 'camshim: ping, path MTU discovery and IPv6 neighbour discovery',
  routerServices: 'camshim: the router admin services (SSH, web, WinBox) are not for the cameras',
  routerDhcpOnly: 'camshim: from the cameras the router takes DHCP only (DNS and NTP go to camshim)',
} as const;

export interface CameraVlan {
  readonly family: Family;
  /** Network address and prefix, host bits cleared: "192.168.20.0/24". */
  readonly cidr: string;
  readonly camshim: string;
  /** NVR addresses of this family. */
  readonly nvrs: readonly string[];
}

export interface RouterConfigPlan {
  /** One or two VLANs, IPv4 first. */
  readonly vlans: readonly CameraVlan[];
  /** The router's name for the camera VLAN (RouterOS interface; OpenWrt interface, dhcp section and zone; dnsmasq tag). */
  readonly interfaceName: string;
  /** The command line that produces this output, printed in its header. */
  readonly command: string;
}

export interface RouterConfigRequest {
  readonly target: string;
  readonly vlans: readonly string[];
  readonly camshim: readonly string[];
  readonly nvrs?: readonly string[];
  readonly interfaceName?: string;
}

/** Prefix lengths a camera VLAN can have: room for a gateway, camshim and cameras, and not half the internet. */
const PREFIX_LIMITS: Readonly<Record<Family, readonly [number, number]>> = { 4: [8, 30], 6: [16, 126] };
/** Address ranges (ipaddr.js names) that cannot be a routed camera VLAN, camshim or NVR. */
const UNUSABLE_RANGES = new Set(['unspecified', 'loopback', 'multicast', 'linkLocal', 'broadcast', 'ipv4Mapped']);
const INTERFACE_NAME = /^[A-Za-z0-9_]{1,15}$/;

export function isTarget(text: string): text is Target {
  return (TARGETS as readonly string[]).includes(text);
}

function familyOf(address: ipaddr.IPv4 | ipaddr.IPv6): Family {
  return address.kind() === 'ipv4' ? 4 : 6;
}

/** Strict address parsing: dotted-quad IPv4 only (ipaddr.js also takes "10.1" and hex forms). */
function parseAddress(text: string): ipaddr.IPv4 | ipaddr.IPv6 | undefined {
  if (ipaddr.IPv4.isValidFourPartDecimal(text)) return ipaddr.IPv4.parse(text);
  if (ipaddr.IPv6.isValid(text) && !text.includes('%')) return ipaddr.IPv6.parse(text);
  return undefined;
}

interface ParsedVlan { family: Family; network: ipaddr.IPv4 | ipaddr.IPv6; prefix: number; cidr: string; text: string }

function parseVlan(text: string): ParsedVlan {
  const match = /^([^/]+)\/(\d{1,3})$/.exec(text);
  const address = match === null ? undefined : parseAddress(match[1]!);
  if (match === null || address === undefined) {
    throw new CamshimError('ROUTER_CONFIG_CIDR', `--vlan "${text}" is not a CIDR: give the camera VLAN as ADDRESS/PREFIX, e.g. 192.168.20.0/24 or fd20::/64`);
  }
  const family = familyOf(address);
  const prefix = Number(match[2]);
  const [shortest, longest] = PREFIX_LIMITS[family];
  if (prefix < shortest || prefix > longest) {
    throw new CamshimError('ROUTER_CONFIG_CIDR', `--vlan "${text}": an IPv${family} camera VLAN needs a prefix from /${shortest} to /${longest} (room for the gateway, camshim and cameras)`);
  }
  const network = family === 4 ? ipaddr.IPv4.networkAddressFromCIDR(text) : ipaddr.IPv6.networkAddressFromCIDR(text);
  const range = network.range();
  if (UNUSABLE_RANGES.has(range)) {
    throw new CamshimError('ROUTER_CONFIG_CIDR', `--vlan "${text}" is a ${range} range, which a router does not route to a camera VLAN`);
  }
  return { family, network, prefix, cidr: `${network.toString()}/${prefix}`, text };
}

function parseHost(option: string, text: string): ipaddr.IPv4 | ipaddr.IPv6 {
  const address = parseAddress(text);
  if (address === undefined) {
    throw new CamshimError('ROUTER_CONFIG_ADDRESS', `${option} "${text}" is not an IP address`);
  }
  const range = address.range();
  if (UNUSABLE_RANGES.has(range)) {
    throw new CamshimError('ROUTER_CONFIG_ADDRESS', `${option} "${text}" is a ${range} address, which cannot serve a routed camera VLAN`);
  }
  return address;
}

/** Checks a request and builds the plan every target renders; throws CamshimError with a ROUTER_CONFIG_* code. */
export function planRouterConfig(request: RouterConfigRequest): RouterConfigPlan & { readonly target: Target } {
  const { target } = request;
  if (!isTarget(target)) {
    throw new CamshimError('ROUTER_CONFIG_TARGET', `unknown --target "${target}": choose one of ${TARGETS.join(', ')}`);
  }
  const interfaceName = request.interfaceName ?? DEFAULT_INTERFACE;
  if (!INTERFACE_NAME.test(interfaceName)) {
    throw new CamshimError('ROUTER_CONFIG_NAME', `--interface "${interfaceName}": use 1 to 15 letters, digits or underscores (a name every target accepts unquoted)`);
  }
  if (request.vlans.length === 0) throw new CamshimError('ROUTER_CONFIG_CIDR', '--vlan is required: the camera VLAN as a CIDR');
  const byFamily = new Map<Family, ParsedVlan>();
  for (const text of request.vlans) {
    const vlan = parseVlan(text);
    const other = byFamily.get(vlan.family);
    if (other !== undefined) {
      throw new CamshimError('ROUTER_CONFIG_FAMILY', `--vlan given twice for IPv${vlan.family} ("${other.text}" and "${text}"): give at most one IPv4 and one IPv6 CIDR`);
    }
    byFamily.set(vlan.family, vlan);
  }

  const camshimByFamily = new Map<Family, string>();
  for (const text of request.camshim) {
    const address = parseHost('--camshim', text);
    const family = familyOf(address);
    const vlan = byFamily.get(family);
    if (vlan === undefined) {
      throw new CamshimError('ROUTER_CONFIG_FAMILY', `--camshim "${text}" is IPv${family}, but no IPv${family} --vlan is given`);
    }
    if (camshimByFamily.has(family)) {
      throw new CamshimError('ROUTER_CONFIG_FAMILY', `--camshim given twice for IPv${family} ("${camshimByFamily.get(family)!}" and "${text}"): give one address per VLAN`);
    }
    if (!address.match(vlan.network, vlan.prefix)) {
      throw new CamshimError('ROUTER_CONFIG_ADDRESS', `--camshim "${text}" is outside the camera VLAN ${vlan.cidr}: camshim must listen on an address the cameras reach directly (the gateway or a service address beside it)`);
    }
    if (address.toString() === vlan.network.toString()) {
      throw new CamshimError('ROUTER_CONFIG_ADDRESS', `--camshim "${text}" is the network address of ${vlan.cidr}, not a host address`);
    }
    if (family === 4 && address.toString() === ipaddr.IPv4.broadcastAddressFromCIDR(vlan.cidr).toString()) {
      throw new CamshimError('ROUTER_CONFIG_ADDRESS', `--camshim "${text}" is the broadcast address of ${vlan.cidr}, not a host address`);
    }
    camshimByFamily.set(family, address.toString());
  }
  for (const vlan of byFamily.values()) {
    if (!camshimByFamily.has(vlan.family)) {
      throw new CamshimError('ROUTER_CONFIG_FAMILY', `the IPv${vlan.family} camera VLAN ${vlan.cidr} needs a --camshim address of the same family inside it`);
    }
  }

  const nvrsByFamily = new Map<Family, string[]>([[4, []], [6, []]]);
  for (const text of request.nvrs ?? []) {
    const address = parseHost('--nvr', text);
    const family = familyOf(address);
    if (!byFamily.has(family)) {
      throw new CamshimError('ROUTER_CONFIG_FAMILY', `--nvr "${text}" is IPv${family}, but the cameras have no IPv${family} VLAN for it to reach`);
    }
    const normal = address.toString();
    if (normal === camshimByFamily.get(family)) {
      throw new CamshimError('ROUTER_CONFIG_ADDRESS', `--nvr "${text}" is camshim's own address`);
    }
    const list = nvrsByFamily.get(family)!;
    if (!list.includes(normal)) list.push(normal);
  }

  const vlans = ([4, 6] as const).flatMap((family) => {
    const vlan = byFamily.get(family);
    return vlan === undefined ? [] : [{ family, cidr: vlan.cidr, camshim: camshimByFamily.get(family)!, nvrs: nvrsByFamily.get(family)! }];
  });
  const command = [
    'camshim router-config', `--target ${target}`,
    ...vlans.map((vlan) => `--vlan ${vlan.cidr}`), ...vlans.map((vlan) => `--camshim ${vlan.camshim}`),
    ...vlans.flatMap((vlan) => vlan.nvrs.map((nvr) => `--nvr ${nvr}`)),
    ...(interfaceName === DEFAULT_INTERFACE ? [] : [`--interface ${interfaceName}`]),
  ].join(' ');
  return { target, vlans, interfaceName, command };
}
