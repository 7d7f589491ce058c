"""The five passages the retrieval tests search: three about the Danube's capitals (so a
filter or a ranking has neighbours to tell apart), one about biology, one about Super Bowl 50."""

CORPUS = [
    "The Danube flows through Vienna, Bratislava, Budapest and Belgrade.",
    "Vienna is the capital of Austria and its largest city.",
    "Budapest is the capital of Hungary; the Danube divides it into Buda and Pest.",
    "Photosynthesis turns light, water and carbon dioxide into sugar and oxygen.",
    "The Broncos beat the Panthers 24-10 in Super Bowl 50.",
]
