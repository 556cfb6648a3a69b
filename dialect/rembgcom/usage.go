package rembgcom

import (
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/jebosio/matte/dialect"
	"github.com/jebosio/matte/params"
)

// Membership is the plan label GET /api/membership-usage reports: Matte's
// keys have a monthly quota, not a rembg.com plan.
const Membership = "Matte"

// MsgPeriodWithMonth refuses periodStartUnix with year or month, which
// rembg.com documents as a 400 without giving its text.
const MsgPeriodWithMonth = "Cannot use 'periodStartUnix' together with 'year' or 'month'."

// UsageQuery is a parsed GET /api/membership-usage query.
type UsageQuery struct {
	// List: listBillingCycles=1|true, which answers {"billingCycles":[...]}
	// only and ignores every other parameter.
	List bool
	// Month is the month the top-level app_usage and api_usage report
	// (its first instant, UTC): year and month (each defaulting to the
	// current UTC one), or the month periodStartUnix falls in.
	Month time.Time
	// BillingCycle: expand has billing_cycle, or includeBillingCycle is
	// 1|true. Cycle is the cycle it reports: the current month, or
	// periodStartUnix's.
	BillingCycle bool
	Cycle        time.Time
}

// monthStart is the first instant of t's UTC month.
func monthStart(t time.Time) time.Time {
	t = t.UTC()
	return time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, time.UTC)
}

// isOn reads rembg.com's 1 / true flags.
func isOn(s string) bool { return s == "1" || strings.EqualFold(s, "true") }

// ParseUsageQuery parses year (1-9999), month (1-12), periodStartUnix (Unix
// seconds, not with year or month), expand (comma-separated flags:
// billing_cycle), includeBillingCycle and listBillingCycles, at now.
// Matte's billing cycles are UTC calendar months (stripeBillingSynced is
// always false), so periodStartUnix selects the month it falls in. Every
// error is a 400 on its parameter, all of them reported.
func ParseUsageQuery(q url.Values, now time.Time) (UsageQuery, params.Errors) {
	cur := monthStart(now)
	u := UsageQuery{Month: cur, Cycle: cur}
	if isOn(q.Get("listBillingCycles")) {
		u.List = true
		return u, nil
	}
	var errs params.Errors
	integer := func(name string, lo, hi int64) (int64, bool) {
		s := q.Get(name)
		v, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
		switch {
		case err != nil:
			errs = append(errs, invalid(name, "'"+name+"' must be an integer, got: '"+s+"'"))
		case v < lo || v > hi:
			errs = append(errs, invalid(name, "'"+name+"' must be between "+strconv.FormatInt(lo, 10)+" and "+strconv.FormatInt(hi, 10)+", got: "+strconv.FormatInt(v, 10)))
		default:
			return v, true
		}
		return 0, false
	}
	year, month := int64(cur.Year()), int64(cur.Month())
	if q.Has("year") {
		year, _ = integer("year", 1, 9999)
	}
	if q.Has("month") {
		month, _ = integer("month", 1, 12)
	}
	u.Month = time.Date(int(year), time.Month(month), 1, 0, 0, 0, 0, time.UTC)
	if q.Has("periodStartUnix") {
		if q.Has("year") || q.Has("month") {
			return u, params.Errors{invalid("periodStartUnix", MsgPeriodWithMonth)}
		}
		// Up to the end of year 9999.
		if v, ok := integer("periodStartUnix", 0, 253402300799); ok {
			u.Month = monthStart(time.Unix(v, 0))
			u.Cycle = u.Month
		}
	}
	for _, flag := range strings.Split(q.Get("expand"), ",") {
		if strings.TrimSpace(flag) == "billing_cycle" {
			u.BillingCycle = true
		}
	}
	if isOn(q.Get("includeBillingCycle")) {
		u.BillingCycle = true
	}
	if errs != nil {
		return u, errs
	}
	return u, nil
}

// billingCycle is rembg.com's billingCycle object.
type billingCycle struct {
	PeriodStartUnix          int64   `json:"periodStartUnix"`
	PeriodEndUnix            int64   `json:"periodEndUnix"`
	AppUsage                 float64 `json:"appUsage"`
	APIUsage                 float64 `json:"apiUsage"`
	IncludedCredits          float64 `json:"includedCredits"`
	PrepaidCredits           float64 `json:"prepaidCredits"`
	UsedIncludedCredits      float64 `json:"usedIncludedCredits"`
	RemainingIncludedCredits float64 `json:"remainingIncludedCredits"`
	StripeBillingSynced      bool    `json:"stripeBillingSynced"`
}

// cycleEntry is one entry of {"billingCycles":[...]}.
type cycleEntry struct {
	PeriodStartUnix int64   `json:"periodStartUnix"`
	PeriodEndUnix   int64   `json:"periodEndUnix"`
	AppUsage        float64 `json:"appUsage"`
	APIUsage        float64 `json:"apiUsage"`
}

// periodEnd is the last second of the month that starts at start.
func periodEnd(start time.Time) int64 { return start.AddDate(0, 1, 0).Unix() - 1 }

// WriteUsage answers GET /api/membership-usage from rec, or returns the
// query's errors. Matte has no web app and no prepaid credits: app_usage,
// appUsage and prepaidCredits are 0, and every charged credit is API usage.
func WriteUsage(w http.ResponseWriter, query url.Values, rec dialect.UsageRecords) params.Errors {
	q, errs := ParseUsageQuery(query, rec.Now)
	if errs != nil {
		return errs
	}
	if q.List {
		list := make([]cycleEntry, len(rec.Months))
		for i, m := range rec.Months {
			list[i] = cycleEntry{PeriodStartUnix: m.Start.Unix(), PeriodEndUnix: periodEnd(m.Start), APIUsage: m.Used}
		}
		dialect.WriteJSON(w, http.StatusOK, struct {
			BillingCycles []cycleEntry `json:"billingCycles"`
		}{list})
		return nil
	}
	body := struct {
		Membership     string        `json:"membership"`
		Credits        float64       `json:"credits"`
		PrepaidCredits float64       `json:"prepaidCredits"`
		AppUsage       float64       `json:"app_usage"`
		APIUsage       float64       `json:"api_usage"`
		BillingCycle   *billingCycle `json:"billingCycle,omitempty"`
	}{Membership: Membership, Credits: rec.Credits, APIUsage: rec.Used(q.Month)}
	if q.BillingCycle {
		used := rec.Used(q.Cycle)
		body.BillingCycle = &billingCycle{PeriodStartUnix: q.Cycle.Unix(), PeriodEndUnix: periodEnd(q.Cycle), APIUsage: used,
			IncludedCredits: rec.Credits, UsedIncludedCredits: used, RemainingIncludedCredits: math.Max(0, rec.Credits-used)}
	}
	dialect.WriteJSON(w, http.StatusOK, body)
	return nil
}
