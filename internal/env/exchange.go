package env

import (
	"context"
	"errors"
	"strings"

	"github.com/plaid/plaid-go/v29/plaid"

	"github.com/bankdown/linkrecovery/emulator"
	"github.com/bankdown/linkrecovery/flows"
	"github.com/bankdown/linkrecovery/internal/secret"
)

// Exchange calls /item/public_token/exchange, then /item/get and /accounts/get. If the exchange
// worked but a later call failed, the Item returned still has ItemID and AccessToken, with the error.
func (e *Env) Exchange(ctx context.Context, publicToken string) (flows.Item, error) {
	publicToken = strings.TrimSpace(publicToken)
	if publicToken == "" {
		return flows.Item{}, errors.New("no public token to exchange: finish a Link session first")
	}
	// The public token is masked from now on too: an error answer may echo it.
	secret.Register(publicToken)
	api := e.Plaid.PlaidApi

	ex, httpResp, err := api.ItemPublicTokenExchange(ctx).
		ItemPublicTokenExchangeRequest(*plaid.NewItemPublicTokenExchangeRequest(publicToken)).Execute()
	if err != nil {
		return flows.Item{}, asPlaidError(err, httpResp, "/item/public_token/exchange", e.PlaidURL)
	}
	// The access token is masked wherever it might turn up from now on: a later call's error
	// body, a record, the screen.
	secret.Register(ex.AccessToken)
	item := flows.Item{ItemID: ex.ItemId, AccessToken: ex.AccessToken}

	ig, httpResp, err := api.ItemGet(ctx).ItemGetRequest(*plaid.NewItemGetRequest(item.AccessToken)).Execute()
	if err != nil {
		return item, asPlaidError(err, httpResp, "/item/get", e.PlaidURL)
	}
	item.InstitutionID = ig.Item.GetInstitutionId()
	if ig.Item.ItemId != "" {
		item.ItemID = ig.Item.ItemId
	}
	item.InstitutionName = e.institutionName(ctx, item.InstitutionID)

	ag, httpResp, err := api.AccountsGet(ctx).AccountsGetRequest(*plaid.NewAccountsGetRequest(item.AccessToken)).Execute()
	if err != nil {
		return item, asPlaidError(err, httpResp, "/accounts/get", e.PlaidURL)
	}
	for _, a := range ag.Accounts {
		acc := flows.Account{
			ID:      a.AccountId,
			Name:    a.Name,
			Mask:    a.GetMask(),
			Type:    string(a.Type),
			Subtype: string(a.GetSubtype()),
		}
		if cur := a.Balances.Current.Get(); a.Balances.Current.IsSet() && cur != nil {
			v := *cur
			acc.Balance = &v
		}
		item.Accounts = append(item.Accounts, acc)
	}
	return item, nil
}

// institutionName names the bank of id: in demo mode from the emulator's own list, else with
// /institutions/get_by_id. A name is a courtesy, so a failed lookup leaves it "" (the id shows)
// rather than failing an exchange that worked.
func (e *Env) institutionName(ctx context.Context, id string) string {
	if id == "" {
		return ""
	}
	if e.Emulator != nil {
		name, _ := emulator.InstitutionName(id)
		return name
	}
	req := plaid.NewInstitutionsGetByIdRequest(id, []plaid.CountryCode{plaid.COUNTRYCODE_US})
	resp, httpResp, err := e.Plaid.PlaidApi.InstitutionsGetById(ctx).InstitutionsGetByIdRequest(*req).Execute()
	if err != nil {
		e.debugf("institution %s: no name: %v", id, asPlaidError(err, httpResp, "/institutions/get_by_id", e.PlaidURL))
		return ""
	}
	return resp.Institution.Name
}
