import { CAMERA_TCP_PORTS, DHCP_SERVER_PORT, DNS_PORT, NTP_PORT, WHY, type CameraVlan, type RouterConfigPlan } from './model.js';

/**
 * One `table inet camshim` for a Linux router running camshim itself: DNAT of DNS and NTP to
 * camshim, and filter chains that close the camera VLAN. The table only decides about traffic
 * from or to the camera VLAN; everything else passes on to the router's other tables.
 */

/** An nft double-quoted string; nft strings cannot escape a quote, so quotes and backslashes are dropped. */
export function nftString(text: string): string {
  return `"${text.replace(/["\\\n\r]/g, '')}"`;
}

function rule(body: string, why: string): string {
  return `\t\t${body} comment ${nftString(why)}`;
}

/** `ip` or `ip6`: the nft payload keyword for a family. */
function ipWord(vlan: CameraVlan): 'ip' | 'ip6' {
  return vlan.family === 4 ? 'ip' : 'ip6';
}

function anonymousSet(items: readonly (string | number)[]): string {
  return items.length === 1 ? String(items[0]) : `{ ${items.join(', ')} }`;
}

export function renderNftables(plan: RouterConfigPlan): string {
  const lines: string[] = [
    '#!/usr/sbin/nft -f',
    `# ${plan.command}`,
    '#',
    ...plan.vlans.map((vlan) => `# Camera VLAN ${vlan.cidr}: camshim at ${vlan.camshim}${vlan.nvrs.length > 0 ? `, NVR ${vlan.nvrs.join(', ')}` : ', no NVR listed'}.`),
    '# Check with `nft -c -f FILE`, load with `nft -f FILE` (it replaces an earlier camshim table in one',
    '# step), and make it permanent by including FILE from /etc/nftables.conf.',
    '# A drop here is final; an accept here only ends this table, so the router\'s own firewall still',
    '# applies to what passes. camshim is expected on this router (DNAT to a local address); when it',
    '# is another host on the VLAN, the srcnat chain makes redirected replies come back the same way.',
    '',
    '# Declaring the table before deleting it lets the delete succeed on the first load too.',
    'table inet camshim',
    'delete table inet camshim',
    '',
    'table inet camshim {',
    '\tchain dstnat {',
    '\t\t# Before routing, so DNS and NTP for any address on the internet are answered by camshim.',
    '\t\ttype nat hook prerouting priority dstnat; policy accept;',
  ];
  for (const vlan of plan.vlans) {
    const ip = ipWord(vlan);
    // camshim's own queries and time requests (when it is a host on the VLAN) go where it sends them.
    const from = `${ip} saddr ${vlan.cidr} ${ip} saddr != ${vlan.camshim} ${ip} daddr != ${vlan.camshim}`;
    lines.push(
      rule(`${from} udp dport ${DNS_PORT} dnat ${ip} to ${vlan.camshim}`, WHY.dnsRedirect),
      rule(`${from} tcp dport ${DNS_PORT} dnat ${ip} to ${vlan.camshim}`, WHY.dnsRedirect),
      rule(`${from} udp dport ${NTP_PORT} dnat ${ip} to ${vlan.camshim}`, WHY.ntpRedirect),
    );
  }
  lines.push(
    '\t}',
    '',
    '\tchain srcnat {',
    '\t\t# Packets delivered to this router never pass postrouting, so this matches only when camshim is another host.',
    '\t\ttype nat hook postrouting priority srcnat; policy accept;',
    ...plan.vlans.map((vlan) => rule(`${ipWord(vlan)} saddr ${vlan.cidr} ${ipWord(vlan)} daddr ${vlan.camshim} ct status dnat masquerade`, WHY.hairpin)),
    '\t}',
    '',
    '\tchain input {',
    '\t\ttype filter hook input priority filter; policy accept;',
    ...plan.vlans.map((vlan) => rule(`${ipWord(vlan)} saddr ${vlan.cidr} jump cameras_to_router`, 'camshim: what the cameras may ask of this router')),
    '\t}',
    '',
    '\tchain cameras_to_router {',
    rule('ct state established,related accept', WHY.established),
    rule('ct state invalid drop', WHY.invalid),
    rule('meta l4proto { icmp, ipv6-icmp } accept', WHY.icmp),
  );
  for (const vlan of plan.vlans) {
    const ip = ipWord(vlan);
    lines.push(
      rule(`${ip} daddr ${vlan.camshim} udp dport { ${DNS_PORT}, ${NTP_PORT} } accept`, WHY.toCamshim),
      rule(`${ip} daddr ${vlan.camshim} tcp dport ${DNS_PORT} accept`, WHY.toCamshim),
    );
  }
  lines.push(
    rule(`udp dport ${anonymousSet(plan.vlans.map((vlan) => DHCP_SERVER_PORT[vlan.family]))} accept`, WHY.dhcp),
    rule('counter drop', WHY.routerServices),
    '\t}',
    '',
    '\tchain forward {',
    '\t\ttype filter hook forward priority filter; policy accept;',
    ...plan.vlans.map((vlan) => rule(`${ipWord(vlan)} saddr ${vlan.cidr} jump from_cameras`, 'camshim: traffic the cameras start or answer')),
    ...plan.vlans.map((vlan) => rule(`${ipWord(vlan)} daddr ${vlan.cidr} jump to_cameras`, 'camshim: traffic towards the cameras')),
    '\t}',
    '',
    '\tchain from_cameras {',
    rule('ct state established,related accept', WHY.established),
    rule('ct state invalid drop', WHY.invalid),
  );
  for (const vlan of plan.vlans) {
    const ip = ipWord(vlan);
    lines.push(
      rule(`${ip} daddr ${vlan.camshim} meta l4proto { tcp, udp } th dport { ${DNS_PORT}, ${NTP_PORT} } accept`, WHY.toCamshim),
      // Forwarded only when camshim is another host: a camshim on this router sends from the output path.
      rule(`${ip} saddr ${vlan.camshim} accept`, WHY.camshimOut),
    );
    if (vlan.nvrs.length > 0) lines.push(rule(`${ip} daddr ${anonymousSet(vlan.nvrs)} accept`, WHY.toNvr));
  }
  lines.push(
    rule('counter drop', WHY.noInternet),
    '\t}',
    '',
    '\tchain to_cameras {',
    rule('ct state established,related accept', WHY.established),
    rule('ct state invalid drop', WHY.invalid),
  );
  for (const vlan of plan.vlans) {
    if (vlan.nvrs.length > 0) lines.push(rule(`${ipWord(vlan)} saddr ${anonymousSet(vlan.nvrs)} tcp dport ${anonymousSet(CAMERA_TCP_PORTS)} accept`, WHY.nvrToCameras));
  }
  lines.push(
    rule('counter drop', WHY.nobodyElseIn),
    '\t}',
    '}',
    '',
  );
  return lines.join('\n');
}
