"""Card / wallet payments through Stripe. `gateway` is the only module that imports `stripe`."""
