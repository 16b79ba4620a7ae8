import { CAMERA_TCP_PORTS, DHCP_SERVER_PORT, DNS_PORT, NTP_PORT, WHY, type CameraVlan, type RouterConfigPlan } from './model.js';

/**
 * A RouterOS 7 script for a MikroTik that routes the camera VLAN while camshim runs on a host
 * beside it (an address on the VLAN). Address lists name the parties once; the filter rules
 * match only new connections and each names exactly what it drops, so their order among
 * themselves does not matter and `place-before=0` can lift every one above the fasttrack rule.
 */

/** A RouterOS double-quoted string: backslash, quote and `$` (variable expansion) are escaped. */
export function rosString(text: string): string {
  return `"${text.replace(/[\\"$]/g, (c) => `\\${c}`).replace(/[\n\r]/g, ' ')}"`;
}

const LIST = {
  cameras: 'camshim-cameras',
  service: 'camshim-service',
  camerasMayReach: 'camshim-cameras-may-reach',
  nvr: 'camshim-nvr',
  mayReachCameras: 'camshim-may-reach-cameras',
} as const;

function addressLists(vlan: CameraVlan): string[] {
  const add = (list: string, address: string, why: string): string => `add list=${list} address=${address} comment=${rosString(why)}`;
  return [
    add(LIST.cameras, vlan.cidr, 'camshim: the camera VLAN'),
    add(LIST.service, vlan.camshim, 'camshim: answers DNS and NTP for the cameras'),
    add(LIST.camerasMayReach, vlan.camshim, 'camshim: the cameras may reach camshim'),
    ...vlan.nvrs.map((nvr) => add(LIST.camerasMayReach, nvr, 'camshim: the cameras may reach the NVR')),
    ...vlan.nvrs.map((nvr) => add(LIST.nvr, nvr, 'camshim: NVR that pulls video from the cameras')),
    ...vlan.nvrs.map((nvr) => add(LIST.mayReachCameras, nvr, 'camshim: the NVR may open connections to the cameras')),
    add(LIST.mayReachCameras, vlan.cidr, 'camshim: redirected DNS/NTP goes from the VLAN back into it, to camshim'),
  ];
}

/** camshim's own upstream queries and time requests leave its host unredirected (src-address=!camshim). */
function natRules(vlan: CameraVlan): string[] {
  const to = vlan.family === 4 ? `to-addresses=${vlan.camshim}` : `to-address=${vlan.camshim}/128`;
  const redirect = (protocol: 'udp' | 'tcp', port: number, why: string): string =>
    `add chain=dstnat action=dst-nat protocol=${protocol} dst-port=${port} src-address-list=${LIST.cameras} src-address=!${vlan.camshim} dst-address-list=!${LIST.service} ${to} place-before=0 comment=${rosString(why)}`;
  return [
    redirect('udp', DNS_PORT, WHY.dnsRedirect),
    redirect('tcp', DNS_PORT, WHY.dnsRedirect),
    redirect('udp', NTP_PORT, WHY.ntpRedirect),
    `add chain=srcnat action=masquerade connection-nat-state=dstnat src-address-list=${LIST.cameras} dst-address-list=${LIST.service} place-before=0 comment=${rosString(WHY.hairpin)}`,
  ];
}

function filterRules(vlan: CameraVlan): string[] {
  const drop = (match: string, why: string): string => `add chain=${match} action=drop place-before=0 comment=${rosString(why)}`;
  const newFromCameras = `connection-state=new src-address-list=${LIST.cameras}`;
  const nvrToCameras = `connection-state=new src-address-list=${LIST.nvr} dst-address-list=${LIST.cameras}`;
  return [
    // camshim's own host is on the VLAN and must reach its upstream resolvers, hence src-address.
    drop(`forward ${newFromCameras} src-address=!${vlan.camshim} dst-address-list=!${LIST.camerasMayReach}`, WHY.noInternet),
    drop(`forward connection-state=new dst-address-list=${LIST.cameras} src-address-list=!${LIST.mayReachCameras}`, WHY.nobodyElseIn),
    ...(vlan.nvrs.length === 0 ? [] : [
      drop(`forward ${nvrToCameras} protocol=tcp dst-port=!${CAMERA_TCP_PORTS.join(',')}`, WHY.nvrOtherPorts),
      drop(`forward ${nvrToCameras} protocol=!tcp`, WHY.nvrOtherPorts),
    ]),
    drop(`input ${newFromCameras} protocol=tcp`, WHY.routerServices),
    drop(`input ${newFromCameras} protocol=udp dst-port=!${DHCP_SERVER_PORT[vlan.family]}`, WHY.routerDhcpOnly),
  ];
}

export function renderRouterOs(plan: RouterConfigPlan): string {
  const v4 = plan.vlans.find((vlan) => vlan.family === 4);
  const v6 = plan.vlans.find((vlan) => vlan.family === 6);
  const lines: string[] = [
    `# ${plan.command}`,
    '#',
    ...plan.vlans.map((vlan) => `# Camera VLAN ${vlan.cidr}: camshim at ${vlan.camshim}${vlan.nvrs.length > 0 ? `, NVR ${vlan.nvrs.join(', ')}` : ', no NVR listed'}.`),
    '# RouterOS 7 (IPv6 NAT needs 7.1 or later). Paste into a terminal, or save as camshim.rsc and',
    '# run /import file-name=camshim.rsc. camshim runs on a host beside the router, on the camera VLAN.',
    '#',
    '# Placement: `add` appends to the end of a list, below the fasttrack rule (fasttracked packets skip',
    '# the firewall) and below accept rules. Every rule here has place-before=0, which puts it at the',
    '# top; the filter rules match only new connections and name exactly what they drop, so adding',
    '# them one after another in any order gives the same result.',
  ];
  if (v4 !== undefined) {
    lines.push(
      '',
      '/ip firewall address-list',
      ...addressLists(v4),
      '',
      '# DHCP: option 6 (DNS) and option 42 (NTP) name camshim, on the DHCP network of the VLAN.',
      '/ip dhcp-server network',
      `set [find where address=${v4.cidr}] dns-server=${v4.camshim} ntp-server=${v4.camshim} comment=${rosString('camshim: DHCP options 6 (DNS) and 42 (NTP) name camshim')}`,
      '',
      '/ip firewall nat',
      ...natRules(v4),
      '',
      '/ip firewall filter',
      ...filterRules(v4),
    );
  }
  if (v6 !== undefined) {
    lines.push(
      '',
      '/ipv6 firewall address-list',
      ...addressLists(v6),
      '',
      `# IPv6 DNS: router advertisements on interface ${plan.interfaceName} (--interface) name camshim (RDNSS);`,
      `# if that interface has no ND entry yet: /ipv6 nd add interface=${plan.interfaceName} advertise-dns=yes dns=${v6.camshim}`,
      '# Router advertisements cannot carry NTP: cameras reach camshim for time through the NTP names',
      '# camshim answers with its own address, and through the udp/123 redirect below.',
      '/ipv6 nd',
      `set [find where interface=${plan.interfaceName}] advertise-dns=yes dns=${v6.camshim}`,
      '',
      '/ipv6 firewall nat',
      ...natRules(v6),
      '',
      '/ipv6 firewall filter',
      ...filterRules(v6),
    );
  }
  lines.push('');
  return lines.join('\n');
}
