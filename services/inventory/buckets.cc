#include "services/inventory/buckets.h"

namespace turnstile::inventory {

std::vector<int64_t> SplitStock(int64_t total, int64_t n) {
  if (n < 1) n = 1;
  std::vector<int64_t> units(n, total / n);
  for (int64_t i = 0; i < total % n; ++i) ++units[i];
  return units;
}

int64_t PickBucket(absl::string_view gid, int64_t n) {
  if (n <= 1) return 0;
  return static_cast<int64_t>(BucketHash(gid) % static_cast<uint64_t>(n));
}

uint64_t BucketHash(absl::string_view gid) {
  uint64_t hash = 1469598103934665603ull;  // FNV-1a 64 offset basis
  for (const char c : gid) {
    hash ^= static_cast<unsigned char>(c);
    hash *= 1099511628211ull;
  }
  // FNV's low bits depend only on the inputs' low bits; a finalizer (from
  // MurmurHash3) spreads every input bit over the bits the modulo keeps.
  hash ^= hash >> 33;
  hash *= 0xff51afd7ed558ccdull;
  hash ^= hash >> 33;
  return hash;
}

std::vector<int64_t> FallbackOrder(int64_t first, int64_t n) {
  if (n < 1) n = 1;
  std::vector<int64_t> order;
  order.reserve(n);
  for (int64_t i = 0; i < n; ++i) order.push_back((first + i) % n);
  return order;
}

}  // namespace turnstile::inventory
