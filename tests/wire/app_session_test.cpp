// app_session: the definition JSON and id hash agree with the node (notes §5.1 vector).
#include <gtest/gtest.h>

#include "wire/app_session.hpp"

using namespace umpire::wire;

TEST(AppSession, IdMatchesNotesVector) {
  AppDefinition definition;
  definition.application = "Example App";
  definition.protocol = "NitroRPC/0.4";
  definition.participants = {{"0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266", "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC"}};
  definition.weights = {{50, 50}};
  definition.quorum = 100;
  definition.challenge = 86400;
  definition.nonce = 1733412345678;
  EXPECT_EQ(definition_json(definition),
            R"({"application":"Example App","protocol":"NitroRPC/0.4","participants":["0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266","0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC"],"weights":[50,50],"quorum":100,"challenge":86400,"nonce":1733412345678})");
  EXPECT_EQ(app_session_id(definition), "0x53492aa1afa0483a2fe2a56efaa650d94c527e7476e24f462f93122ef59e6fb9");
}

TEST(AppSession, NilSlicesAndHtmlEscapes) {
  AppDefinition definition;
  definition.application = "a&b";
  EXPECT_EQ(definition_json(definition),
            R"({"application":"a\u0026b","protocol":"","participants":null,"weights":null,"quorum":0,"challenge":0,"nonce":0})");
}
