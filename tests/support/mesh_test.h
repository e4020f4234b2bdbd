// GoogleTest fixture for tests over the whole mesh: one private PostgreSQL
// cluster per test binary, a fresh mesh (five real processes, fresh
// databases) per test, and a Shop client for it.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "tests/support/mesh.h"
#include "tests/support/shop.h"

namespace turnstile::testing {

class MeshTest : public ::testing::Test {
 protected:
  // Override to pass extra flags (mesh().SetArgs) before the mesh starts.
  virtual void Configure(Mesh& mesh) {}

  void SetUp() override;
  void TearDown() override;

  Mesh& mesh() { return *mesh_; }
  Shop& shop() { return *shop_; }

 private:
  std::unique_ptr<Mesh> mesh_;
  std::unique_ptr<Shop> shop_;
};

}  // namespace turnstile::testing
