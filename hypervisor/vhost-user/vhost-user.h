/* vhost-user.h — glassbox-vmm's vhost-user subcommands. */
#pragma once

/* `glassbox-vmm vhost-user-blk --socket PATH --disk FILE[,…]`; argv[0] is
 * "vhost-user-blk".  Returns the process exit status. */
int vhost_user_blk_main(int argc, char **argv);
/* `glassbox-vmm vhost-user-net --socket PATH --net SPEC` (the --net of
 * `glassbox-vmm run`).  Returns the process exit status. */
int vhost_user_net_main(int argc, char **argv);
