/*
 * The system CPU policies reported by sysctl get_cpu_policy and
 * get_cpu_featureset, and checked by domctl set_cpu_policy
 * (common/sysctl.c).
 */
#ifndef XENIA_CPU_POLICY_H
#define XENIA_CPU_POLICY_H

#include <stdint.h>
#include <public/domctl.h>

/*
 * Leaf/subleaf of policy 'index' (XEN_SYSCTL_cpu_policy_*; raw, host,
 * pv_max or pv_default) into r[4] (a, b, c, d).
 */
void cpu_policy_leaf(unsigned int index, uint32_t leaf, uint32_t sub,
                     uint32_t r[4]);
/* Is (leaf, subleaf) one a policy buffer may carry? */
bool cpu_policy_leaf_valid(uint32_t leaf, uint32_t sub);

#endif /* XENIA_CPU_POLICY_H */
