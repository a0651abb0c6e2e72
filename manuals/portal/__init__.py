"""The public help portal: /help/ for anonymous visitors, and what its export shares."""
