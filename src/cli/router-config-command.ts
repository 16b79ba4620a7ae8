import { CamshimError } from '../errors.js';
import { generateRouterConfig } from '../router-config/generate.js';
import { DEFAULT_INTERFACE, TARGETS } from '../router-config/model.js';
import type { CommandModule } from './command-module.js';
import { commandText } from './commands.js';

/**
 * `camshim router-config`: prints configuration for the router serving the camera VLAN. A bad
 * argument is a usage error (exit 2); the message keeps its ROUTER_CONFIG_* code for scripts.
 */
export const routerConfigCommand: CommandModule = {
  register(argv, setResult) {
    const text = commandText('router-config');
    return argv.command(text.command, text.describe, (command) => command
      .option('target', { type: 'string', requiresArg: true, demandOption: true, describe: `router to configure: ${TARGETS.join(', ')}` })
      .option('vlan', { type: 'string', array: true, requiresArg: true, demandOption: true, describe: 'camera VLAN as a CIDR; give it twice for dual stack (one IPv4, one IPv6)' })
      .option('camshim', { type: 'string', array: true, requiresArg: true, demandOption: true, describe: 'camshim\'s address inside the VLAN, one per VLAN family (the gateway or a service address beside it)' })
      .option('nvr', { type: 'string', array: true, requiresArg: true, default: [] as string[], describe: 'address of an NVR (or admin host) that pulls video from the cameras (repeatable)' })
      .option('interface', { type: 'string', requiresArg: true, default: DEFAULT_INTERFACE, describe: 'router\'s name for the camera VLAN (RouterOS IPv6 interface; OpenWrt interface, dhcp section and zone; dnsmasq tag)' })
      .example('$0 router-config --target nftables --vlan 192.168.20.0/24 --camshim 192.168.20.2 --nvr 192.168.1.10', 'a Linux router with nftables')
      .example('$0 router-config --target routeros --vlan 192.168.20.0/24 --vlan fd20::/64 --camshim 192.168.20.2 --camshim fd20::2', 'a dual-stack VLAN on a MikroTik'),
    (args) => setResult(async () => {
      let text: string;
      try {
        text = generateRouterConfig({ target: args.target, vlans: args.vlan, camshim: args.camshim, nvrs: args.nvr, interfaceName: args.interface });
      } catch (error) {
        // Every ROUTER_CONFIG_* error comes from the arguments, so it is reported as a usage error.
        if (error instanceof CamshimError && error.code.startsWith('ROUTER_CONFIG_')) {
          throw new CamshimError('CLI_USAGE', `router-config: ${error.message} [${error.code}]`, error.context, { cause: error });
        }
        throw error;
      }
      process.stdout.write(text);
      return 0;
    }));
  },
};
