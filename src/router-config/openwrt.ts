import { CAMERA_TCP_PORTS, DHCP_SERVER_PORT, DNS_PORT, NTP_PORT, WHY, type CameraVlan, type RouterConfigPlan } from './model.js';

/**
 * A shell snippet for OpenWrt 22.03 or later (firewall4) with camshim on the router: `uci batch`
 * input in a quoted here-document (so the shell expands nothing), then commit and reload. Rules
 * are named sections, so running it again updates them instead of adding copies; each rule's
 * `name` (shown in LuCI) says why it exists.
 */

/** A UCI single-quoted value; a quote inside is closed, escaped and reopened as in sh. */
export function uciString(text: string): string {
  return `'${text.replace(/'/g, `'\\''`).replace(/[\n\r]/g, ' ')}'`;
}

type Option = readonly [name: string, value: string | readonly string[]];

function section(type: 'redirect' | 'rule', id: string, why: string, options: readonly Option[]): string[] {
  const lines = [`set firewall.${id}=${type}`, `set firewall.${id}.name=${uciString(why)}`];
  for (const [name, value] of options) {
    if (typeof value === 'string') lines.push(`set firewall.${id}.${name}=${uciString(value)}`);
    else for (const item of value) lines.push(`add_list firewall.${id}.${name}=${uciString(item)}`);
  }
  return lines;
}

function familyRules(vlan: CameraVlan, zone: string): string[] {
  const f = `${vlan.family}`;
  const family: Option = ['family', vlan.family === 4 ? 'ipv4' : 'ipv6'];
  const redirect = (id: string, proto: string, port: number, why: string): string[] => section('redirect', `camshim_${id}${f}`, why, [
    // The zone already limits the source to the VLAN; excluding camshim lets its own queries out.
    family, ['src', zone], ['src_ip', `!${vlan.camshim}`], ['src_dip', `!${vlan.camshim}`], ['src_dport', `${port}`],
    ['proto', proto], ['dest_ip', vlan.camshim], ['dest_port', `${port}`], ['target', 'DNAT'],
  ]);
  return [
    ...redirect('dns', 'tcp udp', DNS_PORT, WHY.dnsRedirect),
    ...redirect('ntp', 'udp', NTP_PORT, WHY.ntpRedirect),
    ...section('rule', `camshim_dns_in${f}`, WHY.toCamshim, [family, ['src', zone], ['src_ip', vlan.cidr], ['dest_ip', vlan.camshim], ['proto', 'tcp udp'], ['dest_port', `${DNS_PORT}`], ['target', 'ACCEPT']]),
    ...section('rule', `camshim_ntp_in${f}`, WHY.toCamshim, [family, ['src', zone], ['src_ip', vlan.cidr], ['dest_ip', vlan.camshim], ['proto', 'udp'], ['dest_port', `${NTP_PORT}`], ['target', 'ACCEPT']]),
    ...section('rule', `camshim_dhcp_in${f}`, WHY.dhcp, [family, ['src', zone], ['proto', 'udp'], ['dest_port', `${DHCP_SERVER_PORT[vlan.family]}`], ['target', 'ACCEPT']]),
    ...section('rule', `camshim_icmp_in${f}`, WHY.icmp, [family, ['src', zone], ['src_ip', vlan.cidr], ['proto', 'icmp'], ['target', 'ACCEPT']]),
    // After the accepts above: a rule without dest is an input rule, so this closes the router itself.
    ...section('rule', `camshim_router_closed${f}`, WHY.routerServices, [family, ['src', zone], ['src_ip', vlan.cidr], ['proto', 'all'], ['target', 'DROP']]),
    ...(vlan.nvrs.length === 0 ? [] : [
      ...section('rule', `camshim_to_nvr${f}`, WHY.toNvr, [family, ['src', zone], ['src_ip', vlan.cidr], ['dest', '*'], ['dest_ip', vlan.nvrs], ['proto', 'all'], ['target', 'ACCEPT']]),
      ...section('rule', `camshim_nvr_in${f}`, WHY.nvrToCameras, [family, ['src', '*'], ['src_ip', vlan.nvrs], ['dest', zone], ['dest_ip', vlan.cidr], ['proto', 'tcp'], ['dest_port', CAMERA_TCP_PORTS.join(' ')], ['target', 'ACCEPT']]),
    ]),
    ...section('rule', `camshim_host_out${f}`, WHY.camshimOut, [family, ['src', zone], ['src_ip', vlan.camshim], ['dest', '*'], ['proto', 'all'], ['target', 'ACCEPT']]),
    ...section('rule', `camshim_no_internet${f}`, WHY.noInternet, [family, ['src', zone], ['src_ip', vlan.cidr], ['dest', '*'], ['proto', 'all'], ['target', 'DROP']]),
    ...section('rule', `camshim_nobody_in${f}`, WHY.nobodyElseIn, [family, ['src', '*'], ['dest', zone], ['dest_ip', vlan.cidr], ['proto', 'all'], ['target', 'DROP']]),
  ];
}

export function renderOpenWrt(plan: RouterConfigPlan): string {
  const zone = plan.interfaceName;
  const v4 = plan.vlans.find((vlan) => vlan.family === 4);
  const v6 = plan.vlans.find((vlan) => vlan.family === 6);
  const dhcp = [
    ...(v4 === undefined ? [] : [
      `add_list dhcp.${zone}.dhcp_option=${uciString(`6,${v4.camshim}`)}`,
      `add_list dhcp.${zone}.dhcp_option=${uciString(`42,${v4.camshim}`)}`,
    ]),
    ...(v6 === undefined ? [] : [
      `add_list dhcp.${zone}.dns=${uciString(v6.camshim)}`,
    ]),
  ];
  const cleanup = [
    "for section in $(uci -q show firewall | sed -n 's/^firewall\\.\\(camshim_[a-z0-9_]*\\)=.*/\\1/p'); do uci -q delete \"firewall.$section\"; done",
    ...(v4 === undefined ? [] : [`uci -q del_list dhcp.${zone}.dhcp_option=${uciString(`6,${v4.camshim}`)}`, `uci -q del_list dhcp.${zone}.dhcp_option=${uciString(`42,${v4.camshim}`)}`]),
    ...(v6 === undefined ? [] : [`uci -q del_list dhcp.${zone}.dns=${uciString(v6.camshim)}`]),
  ];
  const lines: string[] = [
    '#!/bin/sh',
    `# ${plan.command}`,
    '#',
    ...plan.vlans.map((vlan) => `# Camera VLAN ${vlan.cidr}: camshim at ${vlan.camshim}${vlan.nvrs.length > 0 ? `, NVR ${vlan.nvrs.join(', ')}` : ', no NVR listed'}.`),
    '# OpenWrt 22.03 or later (firewall4), camshim running on the router. Run in an SSH session.',
    `# The camera VLAN's logical interface, its dhcp section and its firewall zone are all named`,
    `# '${zone}' (as LuCI names them when the zone is created with the interface); --interface changes it.`,
    '# Rules are named sections (camshim_*), and the first lines remove an earlier camshim set-up, so',
    '# running this again replaces it. Removal runs outside the batch, where a missing entry is harmless.',
    '#',
    ...(v4 === undefined ? [] : ['# DHCP: option 6 (DNS) and option 42 (NTP) name camshim.']),
    ...(v6 === undefined ? [] : [
      '# IPv6: odhcpd announces camshim as DNS server in router advertisements (RDNSS) and DHCPv6.',
      '# odhcpd hands out no NTP server here; cameras reach camshim for time through the NTP names',
      '# camshim answers with its own address, and through the udp/123 redirect.',
    ]),
    '# Firewall: redirects send DNS and NTP for any server to camshim; rules let the cameras reach',
    '# camshim and the NVR only, and let only the NVR open connections to the cameras.',
    ...cleanup,
    "uci -q batch <<'CAMSHIM_UCI'",
    ...dhcp,
    ...plan.vlans.flatMap((vlan) => familyRules(vlan, zone)),
    'CAMSHIM_UCI',
    'uci commit dhcp',
    'uci commit firewall',
    'service dnsmasq restart',
    ...(v6 === undefined ? [] : ['service odhcpd restart']),
    'service firewall restart',
    '',
  ];
  return lines.join('\n');
}
