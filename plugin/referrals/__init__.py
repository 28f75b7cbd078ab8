"""Referral codes: the place of codes and links, attribution to purchases, rewards and clawback.

Not built yet: the referral widget is an empty box, and a purchase's
``journeykit_referral`` metadata is logged as the shop passed it.  It will
read the orders and reward through loyalty's public functions, like every
capability.
"""
