#include "tests/support/mesh_test.h"

#include <cstdlib>

namespace turnstile::testing {

void MeshTest::SetUp() {
  static int counter = 0;
  mesh_ = std::make_unique<Mesh>(SharedPg(), "t" + std::to_string(++counter));
  Configure(*mesh_);
  mesh_->StartAll();
  shop_ = std::make_unique<Shop>(*mesh_);
}

void MeshTest::TearDown() {
  if (HasFailure()) {
    for (const auto& s : Mesh::Services()) {
      std::fprintf(stderr, "---- last lines of %s ----\n", s.c_str());
      std::system(("tail -n 15 " + mesh_->LogPath(s) + " >&2").c_str());
    }
  }
  shop_.reset();
  mesh_.reset();
}

}  // namespace turnstile::testing
