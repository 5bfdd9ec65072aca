/* vhost-user.h — glassbox-vmm's vhost-user subcommands. */
#pragma once

/* `glassbox-vmm vhost-user-blk --socket PATH --disk FILE[,…]`; argv[0] is
 * "vhost-user-blk".  Returns the process exit status. */
int vhost_user_blk_main(int argc, char **argv);
