import ipaddr from 'ipaddr.js';
import type { CameraVlan, RouterConfigPlan } from './model.js';

/**
 * dnsmasq `dhcp-option` lines for the camera VLAN's DHCP range. They carry a tag so they reach
 * only the cameras; the dhcp-range of the VLAN sets it. dnsmasq hands out leases only: the
 * forcing and egress rules come from the nftables, openwrt or routeros target.
 */

/** A host range in the upper part of the VLAN, as an example for the dhcp-range comment. */
function exampleRange(vlan: CameraVlan): string {
  const [network, prefixText] = vlan.cidr.split('/') as [string, string];
  const prefix = Number(prefixText);
  if (vlan.family === 6) {
    // Offsets 0x1000-0x1fff fit every prefix up to /116; longer ones are offered from the middle up.
    const parts = ipaddr.IPv6.parse(network).parts;
    const size = prefix <= 116 ? 0x2000 : 2 ** (128 - prefix);
    const host = (offset: number): string => new ipaddr.IPv6([...parts.slice(0, 7), parts[7]! + offset]).toString();
    return `${host(size / 2)},${host(size - 1)},${prefix},12h`;
  }
  const base = network.split('.').reduce((sum, octet) => sum * 256 + Number(octet), 0);
  const size = 2 ** (32 - prefix);
  const text = (value: number): string => [24, 16, 8, 0].map((shift) => (value >>> shift) & 255).join('.');
  return `${text(base + Math.floor(size / 2))},${text(base + size - 2)},12h`;
}

export function renderDnsmasq(plan: RouterConfigPlan): string {
  const tag = plan.interfaceName;
  const lines: string[] = [
    `# ${plan.command}`,
    '#',
    '# DHCP for the camera VLAN names camshim as DNS server (option 6) and NTP server (option 42).',
    `# These lines apply to the dhcp-range tagged '${tag}' (--interface); give the VLAN's range that tag.`,
    '# If this dnsmasq also answers DNS, keep it off camshim\'s address and port 53 (listen-address, or',
    '# port=0 for DHCP only). Redirecting hard-coded DNS/NTP and closing the VLAN need firewall rules:',
    '# camshim router-config --target nftables, openwrt or routeros.',
  ];
  for (const vlan of plan.vlans) {
    if (vlan.family === 4) {
      lines.push(
        '',
        `# Camera VLAN ${vlan.cidr}; for example:`,
        `# dhcp-range=set:${tag},${exampleRange(vlan)}`,
        `dhcp-option=tag:${tag},option:dns-server,${vlan.camshim}`,
        `dhcp-option=tag:${tag},option:ntp-server,${vlan.camshim}`,
      );
    } else {
      lines.push(
        '',
        `# Camera VLAN ${vlan.cidr}; for example (with enable-ra, the DNS server is also announced in`,
        '# router advertisements, RDNSS, for cameras that take no DHCPv6):',
        `# dhcp-range=set:${tag},${exampleRange(vlan)}`,
        `dhcp-option=tag:${tag},option6:dns-server,[${vlan.camshim}]`,
        `dhcp-option=tag:${tag},option6:ntp-server,[${vlan.camshim}]`,
      );
    }
  }
  lines.push('');
  return lines.join('\n');
}
