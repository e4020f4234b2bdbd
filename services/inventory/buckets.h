// Hot-SKU buckets (issue 3): a SKU's stock may be split over N rows of the
// stock table so that concurrent winners of a flash sale queue on N row locks
// instead of one. These pure functions decide how units are spread at
// creation and which row a reservation tries first and next; the store runs
// the SQL, tests call them to predict the rows.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace turnstile::inventory {

inline constexpr int64_t kMaxBuckets = 64;

// The units of each bucket, as even as possible: the first total % n buckets
// get one unit more. n in 1..kMaxBuckets.
std::vector<int64_t> SplitStock(int64_t total, int64_t n);

// The bucket a reservation of transaction `gid` tries first: a stable hash
// (FNV-1a with a final mix, the same in every process and build) of the gid,
// modulo n. The gid, not the user, so that one user's concurrent orders spread
// too.
int64_t PickBucket(absl::string_view gid, int64_t n);

// The hash PickBucket takes modulo n (for SQL that picks the bucket itself:
// PickBucket(gid, n) == BucketHash(gid) % n for n > 1).
uint64_t BucketHash(absl::string_view gid);

// Every bucket in the order a reservation starting at `first` tries them:
// first, first+1, ..., n-1, 0, ..., first-1.
std::vector<int64_t> FallbackOrder(int64_t first, int64_t n);

}  // namespace turnstile::inventory
