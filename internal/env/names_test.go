package env_test

import (
	"testing"

	"github.com/plaid/plaid-go/v29/plaid"

	"github.com/bankdown/linkrecovery/emulator"
	"github.com/bankdown/linkrecovery/internal/env"
	"github.com/bankdown/linkrecovery/internal/testkit"
)

// sandboxPublicToken makes a public token for an Item at institution id with
// /sandbox/public_token/create, as a finished Link session would give one.
func sandboxPublicToken(t *testing.T, e *env.Env, id string) string {
	t.Helper()
	req := plaid.NewSandboxPublicTokenCreateRequest(id, []plaid.Products{plaid.PRODUCTS_TRANSACTIONS})
	resp, _, err := e.Plaid.PlaidApi.SandboxPublicTokenCreate(testkit.Context(t)).SandboxPublicTokenCreateRequest(*req).Execute()
	if err != nil {
		t.Fatal(err)
	}
	return resp.PublicToken
}

// The exchanged Item names its bank: in demo mode from the emulator's list, in Sandbox mode with
// plaid-go's /institutions/get_by_id (here against the emulator standing in for Plaid).
func TestExchangeNamesTheBank(t *testing.T) {
	emu, srv := emulatorServer(t)
	sandbox := testkit.DemoEnv(t, env.Config{ClientID: emu.ClientID(), Secret: emu.Secret(), PlaidURL: srv.URL})
	for name, e := range map[string]*env.Env{"demo": testkit.DemoEnv(t, env.Config{}), "sandbox": sandbox} {
		t.Run(name, func(t *testing.T) {
			it, err := e.Exchange(testkit.Context(t), sandboxPublicToken(t, e, "ins_109512"))
			if err != nil {
				t.Fatal(err)
			}
			if it.InstitutionID != "ins_109512" || it.InstitutionName != "Houndstooth Bank" || it.Bank() != "Houndstooth Bank (ins_109512)" {
				t.Errorf("Item bank = %q %q, Bank() %q", it.InstitutionID, it.InstitutionName, it.Bank())
			}
		})
	}
	// A failed lookup costs the name, not the Item: the id shows instead.
	emu.InjectFault(emulator.Fault{Path: "/institutions/get_by_id", HTTPStatus: 500})
	it, err := sandbox.Exchange(testkit.Context(t), sandboxPublicToken(t, sandbox, "ins_109511"))
	if err != nil || it.ItemID == "" || it.InstitutionName != "" || it.Bank() != "ins_109511" {
		t.Errorf("exchange with the lookup failing: %v, Item %q name %q Bank() %q", err, it.ItemID, it.InstitutionName, it.Bank())
	}
}
