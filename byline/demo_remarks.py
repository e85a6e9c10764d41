"""What the demo site's readers say under each fictional story (``byline.demo``).

Each story gets remarks about itself (the footbridge's detour, the moth count's
light traps, the tuba nobody borrows twice), so a comment read under a story is
about that story; a reply opens with a general answer ("That is a fair point.")
and goes on with one of the story's own remarks. Keyed by the story's slug
(``articles.demo_stories.STORIES``).
"""

from __future__ import annotations

from byline.discussion.demo import Phrases

CLOSINGS = (
    "Thanks for covering it.",
    "Nice to read some news from home.",
    "More stories like this, please.",
    "",
    "",
)


REPLIES = (
    "That is a fair point.",
    "Agreed, and I would add one thing.",
    "Thanks, I had missed that.",
    "Exactly this.",
    "I see it a bit differently.",
)


def _remarks(openings: tuple[str, ...], middles: tuple[str, ...]) -> Phrases:
    return Phrases(openings=openings, middles=middles, closings=CLOSINGS, replies=REPLIES)


REMARKS = {
    "kestrelmouth-harbour-footbridge-reopens": _remarks(
        (
            "Finally! The detour round the quay added twenty minutes to my walk to the ferry.",
            "Walked across it this morning with the dog; the new deck feels solid.",
            "Good to have the bridge back before the winter.",
            "The higher railings are a relief with small children.",
        ),
        (
            "I hope the lights along the handrail stay on later than the old lamps did.",
            "Fifty years sounds optimistic for anything over salt water, but I hope the "
            "council is right.",
            "A year is a long time for a new deck; a word on why it took so long would "
            "have helped.",
            "The north quay shops really felt the closure, so this is good news for them.",
            "Recycled steel seems a sensible choice after the rot in the old timber.",
        ),
    ),
    "record-count-of-lantern-moths-in-the-vell-valley": _remarks(
        (
            "We had three lantern moths on our kitchen window last week, more than ever.",
            "I was one of the forty volunteers; the second night was magical.",
            "Twelve years of counts is a remarkable record for a volunteer survey.",
            "Lovely to read something hopeful about insects for once.",
        ),
        (
            "The organisers are right to be careful: one warm, damp summer is not a trend.",
            "Does anyone know whether the light traps harm the moths? I would like to help "
            "with next year's count.",
            "It would be good to see all twelve years side by side when the full count "
            "comes out in the autumn.",
            "The glow under a torch really is something to see, if you have not tried it.",
            "I wonder whether the new street lights on the valley road make a difference.",
        ),
    ),
    "brindlewick-library-lends-musical-instruments": _remarks(
        (
            "I borrowed a ukulele in the spring and now play most evenings.",
            "What a brilliant use of a library card.",
            "My daughter has been on the waiting list for a violin since March.",
        ),
        (
            "The short lesson when you collect an instrument makes all the difference.",
            "The monthly open evening is great fun, even if you only listen.",
            "The music shop that gave the first dozen instruments deserves a plaque.",
            "Someone should interview the tuba's borrowers; there must be stories there.",
        ),
    ),
    "fennmoor-rovers-win-the-valley-cup-on-penalties": _remarks(
        (
            "What a final! I was standing behind the goal for the shoot-out.",
            "Two saves from a schoolteacher: his class will not stop talking about it.",
            "A goalless final is not pretty, but nobody there will forget the penalties.",
            "A record crowd, and well deserved.",
        ),
        (
            "The pitch was heavy after the rain, and both sides looked tired in extra time.",
            "He guessed right twice, but the second save was more than a guess.",
            "Showing the cup at the clubhouse on Sunday is a lovely touch.",
            "The volunteers who run the club deserve a mention too.",
            "A shame it came down to penalties after two hours of effort from both sides.",
        ),
    ),
    "quarry-square-night-market-to-run-all-year": _remarks(
        (
            "The night market was the best thing about this summer.",
            "Covered walkways are a good idea; last October's rain was brutal.",
        ),
        (
            "Closing an hour earlier in the coldest months seems sensible.",
            "Sixty stalls in one summer: the square has not been this busy in years.",
            "I hope the food stalls stay; the winter needs them more than the summer does.",
            "Parking round the square will be the next argument, mark my words.",
        ),
    ),
    "kestrel-estuary-tide-gauges-go-solar": _remarks(
        (
            "Readings every minute will make a real difference to anyone launching a boat.",
            "Good to see the tide data published openly.",
        ),
        (
            "Some of those gauges are eighty years old; I hope the old ones go to the museum.",
            "I would like to see the readings on a chart on the town's website, not only "
            "as numbers.",
        ),
    ),
    "orrin-falls-choir-records-in-an-old-mill": _remarks(
        (
            "My aunt sings with them and has talked about the mill for months.",
            "I heard them rehearse there in September: the echo is extraordinary.",
            "An album of the valley's folk songs is exactly what we need more of.",
        ),
        (
            "Two seconds of echo must make it hard to keep sixty singers together.",
            "One microphone is brave; I hope the recording does the room justice.",
            "Will the album be on sale at the winter concerts?",
            "The old mill deserves a second life as a place for music.",
        ),
    ),
}
