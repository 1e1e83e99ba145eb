"""PM501, blame-laden wording: per sentence, every built-in pattern in both directions."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import complete_postmortem_text, run_cli
from postmortem_kb.core.blame import PATTERNS
from postmortem_kb.core.config import Config
from postmortem_kb.core.model import Finding
from postmortem_kb.core.parse import parse_text
from postmortem_kb.core.rules import check_postmortem


def blame_in(prose: str, **settings: object) -> list[Finding]:
    """PM501 findings for PROSE put into the Summary of a complete post-mortem."""
    text = complete_postmortem_text().replace("## Summary\n\n", f"## Summary\n\n{prose}\n\n", 1)
    config = Config(root=Path("."), select=("PM501",))
    for name, value in settings.items():
        setattr(config, name, value)
    pm = parse_text("postmortems/2026/PM-2026-001-x.md", text)
    return check_postmortem(pm, config, None)


# (sentence, pattern it must be found as)
BLAME = [
    # a person, name or role with a harmful act
    ("Sergei broke the build.", "person-act"),
    ("An engineer deleted the production database.", "person-act"),
    ("The developer accidentally pushed to main.", "person-act"),
    ("A junior admin dropped the users table.", "person-act"),
    ("Then the on-call engineer merged the change without review.", "person-act"),
    ("An employee clicked a link in the phishing email.", "person-act"),
    ("Priya Sharma pushed the credentials to the public repository.", "person-act"),
    ("The table was dropped by an engineer.", "person-act"),
    ("The config was merged by Sergei without review.", "person-act"),
    ("Someone wiped the staging cluster.", "person-act"),
    ("The engineer on call ignored the alert.", "negated-duty"),
    # a negated duty
    ("The employee never upgraded their software.", "negated-duty"),
    ("The on-call engineer failed to acknowledge the page.", "negated-duty"),
    ("The engineer didn't run the migration checks.", "negated-duty"),
    ("The reviewer did not notice the typo.", "negated-duty"),
    ("Sergei forgot to renew the certificate.", "negated-duty"),
    ("The team neglected to rotate the key.", "negated-duty"),
    # mistakes
    ("An engineer made a typo in the network configuration.", "mistake"),
    ("The operator made a simple mistake.", "mistake"),
    ("The firewall rule was removed by mistake.", "mistake"),
    ("The change was applied to the wrong cluster.", "mistake"),
    ("She pressed the wrong button.", "mistake"),
    ("The bucket was made public by accident.", "mistake"),
    ("The script was accidentally run against production.", "mistake"),
    ("Mistakes were made during the failover.", "mistake"),
    ("An accidental execution of a command deleted all the worker nodes.", "mistake"),
    ("Didn't follow the runbook.", "negated-duty"),
    ("John deployed faulty code without proper review.", "person-act"),
    ("The outage was caused by an incorrect command entered by a team member.", "person-act"),
    ("The QA team missed the bug.", "person-act"),
    ("Four of our employees fell for a phishing e-mail.", "person-act"),
    ("A fat-fingered command took the router down.", "mistake"),
    # judgements of character or state
    ("The engineer was careless.", "judgement"),
    ("It was a lazy change.", "judgement"),
    ("A sloppy review let the change through.", "judgement"),
    ("The tired admin ran the script twice.", "judgement"),
    ("An exhausted engineer approved the change.", "judgement"),
    ("The engineer was exhausted after a 14-hour shift.", "judgement"),
    ("It was caused by a rogue employee.", "judgement"),
    ("The admin went rogue.", "judgement"),
    ("A disgruntled contractor kept access.", "judgement"),
    ("That was irresponsible.", "judgement"),
    ("The vendor's staff were incompetent.", "judgement"),
    ("It was a reckless deployment.", "judgement"),
    ("A hasty decision made it worse.", "judgement"),
    ("The release was rushed.", "judgement"),
    ("The new tool shouldn't have been rushed to production.", "judgement"),
    ("The operator was negligent.", "judgement"),
    ("The on-call engineer dropped the ball.", "judgement"),
    # hindsight
    ("The team should have caught this in review.", "hindsight"),
    ("The engineer should have known better.", "hindsight"),
    ("Someone should've noticed the alert.", "hindsight"),
    ("Had he checked the logs, the outage would have been shorter.", "hindsight"),
    ("If the engineer had tested the change, nothing would have broken.", "hindsight"),
    # human, user, operator error
    ("The root cause was human error.", "human-error"),
    ("The root cause was user error.", "human-error"),
    ("We classified it as operator error.", "human-error"),
    ("It was a human-error incident.", "human-error"),
    ("Classic PEBKAC.", "human-error"),
    # fault and blame
    ("Whose fault is this?", "fault"),
    ("It was Sam's fault.", "fault"),
    ("It was his fault.", "fault"),
    ("The fault of the engineer was clear.", "fault"),
    ("The vendor was at fault.", "fault"),
    ("The team blamed the contractor.", "fault"),
    ("Who is to blame for this?", "fault"),
]

NOT_BLAME = [
    # a role word as a modifier, a passive without a person, a team's own role
    "A user account deleted from the console was restored from the backup.",
    "When an admin account is deleted, its sessions are revoked.",
    "The flag was inadvertently enabled in production.",
    "The team responsible for incident response met daily.",
    "The engineer retried and the job failed again.",
    "Reliable backups are liable for review every quarter.",
    # blameless practice and general truths about mistakes
    "Ask what let the change through, not who made it.",
    "The question is not who pushed the button but why one button could do this.",
    "Look at the missing guardrails rather than labeling anyone as careless.",
    "People should be allowed to make mistakes without losing data.",
    "Instead of firing someone for the mistake, make sure the mistake can't happen again.",
    "It was nobody's fault, and no one mistake explains it.",
    "The deleted database was a replica, not the primary.",
    # technical terms
    "The page uses lazy loading for images.",
    "Images are lazy-loaded below the fold.",
    "Modules are imported lazily; a lazy evaluation strategy keeps start-up fast.",
    "The system is built for fault tolerance and fault injection is tested weekly.",
    "A page fault storm slowed the host.",
    "We spent 30% of our error budget.",
    "The user error rate stayed below 0.1%.",
    "The connection failed to connect to the database.",
    "The backup job failed to upload the archive.",
    "The connection pool was exhausted and the error budget was exhausted too.",
    "A rogue process consumed the CPU.",
    "Cassandra uses a sloppy quorum for hinted handoff.",
    "Engineers rushed to restore service.",
    # exonerating idioms and blameless practice
    "Through no fault of the operator, the job crashed.",
    "It was nobody's fault.",
    "The on-call engineer was not at fault.",
    "We practise blameless post-mortems and avoid blame.",
    "The review uses a blame-free analysis.",
    "Human error is never a root cause: ask what made the action possible.",
    "We do not blame individuals for incidents.",
    "A person is never a root cause.",
    # URLs, code and titles
    "See https://github.com/org/repo/blame/main/app.py for the history.",
    "The line's history is in `git blame app.py`.",
    "The log said `admin deleted the wrong directory`.",
    'Read "How to Cultivate a Blame-Aware Culture" for background.',
    "We read *Human Error* by James Reason.",
    "See [The Field Guide to Understanding Human Error](https://example.com/book).",
    # people acting, without blame
    "Security Operations pushed a canary token to a test repository.",
    "The on-call engineer deleted the malicious OAuth app.",
    "An engineer deployed the fix at 10:02.",
    "The engineer restarted the service.",
    "Terraform deleted the bucket when the plan was applied.",
    "The change merged on 2026-07-01 at 15:12 by an automated dependency update.",
    "A malicious user deleted the project through the stolen session.",
    # systems that did not do something, and expected behaviour
    "The tool did not ask for confirmation.",
    "Users never saw the error page.",
    "The alert should have fired at 03:00.",
    "Alert that fired (or should have) named.",
    "The attacker could have accessed the bucket.",
    "This could have been prevented by a staged rollout.",
    "We should have a talk with the platform team about ingress ownership.",
    "The job was mistakenly marked as successful.",
    "The namespace was modified, accidentally overwriting existing annotations.",
    "Anyone could have made the same mistake.",
    "Ask how, not who, to avoid making the same mistakes again.",
    "The old view of human error blames the bad apple.",
    "Sidney Dekker describes two views on human error.",
    "Blame is a natural reaction to failure.",
    "Teams call each other out when blame is observed.",
    "The dev container was rogue and used all the network bandwidth.",
    "If we had deployed the change earlier, the outage would not have happened.",
    "The typo in the network configuration went unnoticed by validation.",
    "The wrong certificate was served for 40 minutes.",
    "A neglected server ran an old kernel.",
    "The alert threshold was raised, which could have been a sign we missed.",
    "Traffic fell for ten minutes.",
    "The team deployed the new release at 10:00.",
    "An accidental finding during the audit revealed the gap.",
    'Never write "human error" in a post-mortem.',
]


@pytest.mark.parametrize("sentence,pattern", BLAME, ids=[s for s, _ in BLAME])
def test_blame_is_found_with_a_fitting_rewording(sentence: str, pattern: str) -> None:
    findings = blame_in(sentence)
    assert len(findings) == 1, findings
    finding = findings[0]
    assert finding.rule == "PM501" and finding.severity == "warning"
    assert f"({pattern}): {PATTERNS[pattern]}" in finding.message
    assert "postmortem-ignore PM501" in finding.message


@pytest.mark.parametrize("sentence", NOT_BLAME)
def test_not_blame(sentence: str) -> None:
    assert blame_in(sentence) == []


def test_every_pattern_is_tested() -> None:
    assert {pattern for _, pattern in BLAME} == set(PATTERNS)


# --- the grammar of blame, generalised: each pattern fires, and a near sentence does not ---
# (sentence that blames, its pattern, the near sentence that does not)
GRAMMAR = [
    # the subject of the clause, however far from its verb
    (
        "The contractor replacing the core switch that afternoon caused the outage.",
        "person-act",
        "The firmware update that the contractor installed caused the outage.",
    ),
    (
        "Auditors concluded that the operators ignored several warnings.",
        "negated-duty",
        "Auditors concluded that the filter ignored several warnings.",
    ),
    (
        "The outage was caused by a night-shift operator.",
        "person-act",
        "The outage was caused by a night-shift cron job.",
    ),
    (
        "One technician caused the regional blackout.",
        "person-act",
        "One transformer caused the regional blackout.",
    ),
    (
        "The new hire took down the payments API.",
        "person-act",
        "The load balancer took down the payments API.",
    ),
    (
        "The pilots failed to monitor the altitude.",
        "negated-duty",
        "The probes failed to monitor the altitude.",
    ),
    ("I wiped the staging database.", "person-act", "It wiped the staging database."),
    ("He failed and the site went down.", "negated-duty", "The node failed over to the replica."),
    (
        "The platform team broke the login page.",
        "person-act",
        "We broke the login page and fixed it within minutes.",
    ),
    (
        "The import job was killed by an engineer.",
        "person-act",
        "The import job was killed by the OOM killer.",
    ),
    # acts that harm only with what follows them
    (
        "A contractor tripped over the power cable.",
        "person-act",
        "A breaker tripped over the weekend.",
    ),
    (
        "Someone unplugged the storage array.",
        "person-act",
        "The storage array was unplugged for the move.",
    ),
    (
        "The excavation crew cut the fiber line.",
        "person-act",
        "The release cut was moved to Friday.",
    ),
    (
        "The technician left the cabinet unlocked.",
        "negated-duty",
        "The technician left the site at noon.",
    ),
    (
        "The on-call engineer silenced the disk alerts.",
        "negated-duty",
        "The maintenance window silenced the disk alerts.",
    ),
    # idioms of blame, whoever the subject
    (
        "Our hosting provider messed up the DNS migration.",
        "judgement",
        "The colours looked messed in the old viewer.",
    ),
    ("Operations dropped the ball on the renewal.", "judgement", "The router dropped the packets."),
    # negated duties said another way
    (
        "The reviewer was not paying attention to the diff.",
        "negated-duty",
        "Pay attention to the diff before approving.",
    ),
    (
        "The operator was not careful with the production shell.",
        "negated-duty",
        "Be careful with the production shell.",
    ),
    (
        "The admins didn't know any better.",
        "negated-duty",
        "We now know better which alerts matter.",
    ),
    (
        "Management had no clue about the expiring certificate.",
        "negated-duty",
        "The log gave a clue about the expiring certificate.",
    ),
    (
        "His failure to escalate delayed the response.",
        "negated-duty",
        "The disk's failure delayed the response.",
    ),
    (
        "The admin had forgotten to renew the domain.",
        "negated-duty",
        "Don't forget to renew the domain.",
    ),
    # mistakes, named any way
    ("That was a costly blunder.", "mistake", "Blunders can happen in any team."),
    ("His mistake cost us a day.", "mistake", "Mistakes happen in every complex system."),
    (
        "The dispatcher made an error in the routing table.",
        "mistake",
        "The parser made an error message unreadable.",
    ),
    (
        "The clerk sent the invoice to another customer in error.",
        "mistake",
        "The job exited in error after the timeout.",
    ),
    (
        "The report went to the wrong client.",
        "mistake",
        "If a report goes to the wrong client, recall it at once.",
    ),
    (
        "The letter reached an incorrect recipient.",
        "mistake",
        "An incorrect checksum stopped the upload.",
    ),
    (
        "The trader bought a billion instead of a million (whoops).",
        "mistake",
        "The talk was about oops moments in operations.",
    ),
    # judgements of character, insults and sanctions
    ("The sysadmin was a moron.", "judgement", "The sysadmin was on leave."),
    ("That configuration was pathetic.", "judgement", "That configuration was unusual."),
    (
        "The operator showed fatigue after the long shift.",
        "judgement",
        "Alert fatigue hid the page.",
    ),
    (
        "The junior developer was fired over the leak.",
        "judgement",
        "No one was fired over the leak.",
    ),
    (
        "The new contractor was sacked after the outage.",
        "judgement",
        "The alert fired twice during the outage.",
    ),
    # hindsight and fault
    (
        "Should the reviewer have caught the missing index?",
        "hindsight",
        "Should the index have been added earlier?",
    ),
    ("The consultant to blame was let go.", "fault", "Nobody is to blame."),
    (
        "The company blamed Contoso for the outage.",
        "fault",
        "The company reported Contoso's outage.",
    ),
    (
        "The admin at fault was moved to another team.",
        "fault",
        "The runbook at fault was rewritten.",
    ),
    # --- second generalisation (2026-11-29, after the old TEST set was folded into dev) ---
    # a handle is a person
    ("@dana deleted the release tag.", "person-act", "The release tag was deleted by a cron job."),
    # mistake adverbs said of a person's act, near or far from the person
    (
        "The technician inadvertently disconnected the storage shelf.",
        "mistake",
        "The storage shelf was inadvertently disconnected during the move.",
    ),
    (
        "The operator labelled the circuits incorrectly.",
        "mistake",
        "The parser labelled the circuits incorrectly.",
    ),
    (
        "The administrator improperly shared the export folder.",
        "judgement",
        "The export folder was improperly shared.",
    ),
    # acts that harm with what follows them
    (
        "Someone ran rm -rf on the shared volume.",
        "person-act",
        "The cleanup job ran rm -rf on the scratch volume.",
    ),
    (
        "A contractor downloaded a pirated installer on the build host.",
        "person-act",
        "The updater downloaded a signed installer on the build host.",
    ),
    (
        "A developer committed the signing key to the public repository.",
        "person-act",
        "The release job committed the changelog to the public repository.",
    ),
    (
        "An employee fell victim to a phishing e-mail.",
        "person-act",
        "Traffic fell sharply after the release.",
    ),
    (
        "The customer list was leaked by an employee.",
        "person-act",
        "The customer list was leaked by a misconfigured bucket.",
    ),
    (
        "An engineer working on the migration deleted the production database.",
        "person-act",
        "A job working on the migration deleted the temporary tables.",
    ),
    (
        "Sergei's script took down the billing API.",
        "person-act",
        "The user's request took down the billing API.",
    ),
    (
        "A new hire ended up deleting the staging bucket.",
        "person-act",
        "The cleanup script ended up deleting the staging bucket.",
    ),
    # passives with a person as the agent
    (
        "The regression was introduced by Priya.",
        "person-act",
        "The regression was introduced by the 4.2 upgrade.",
    ),
    (
        "The procedure had not been followed by the night shift staff.",
        "negated-duty",
        "The procedure had not been followed by a second reviewer.",
    ),
    (
        "The nurse accessed the records without authorization.",
        "person-act",
        "The nurse accessed the records with the patient's consent.",
    ),
    # duties broken or not done
    (
        "The employee violated the access policy.",
        "negated-duty",
        "The burst of requests violated the rate limit.",
    ),
    (
        "The on-call engineer slept through the page.",
        "negated-duty",
        "The on-call engineer slept after the handover.",
    ),
    (
        "I tried to roll it back but failed miserably.",
        "negated-duty",
        "The rollback failed twice before the fix.",
    ),
    (
        "The captain of the vessel, eager to leave port, ignored the warnings.",
        "negated-duty",
        "The filter in the gateway, set to permissive mode, ignored the warnings.",
    ),
    ("Management ignored the warnings.", "negated-duty", "The mail filter ignored the warnings."),
    ("Nobody bothered to test the restore.", "negated-duty", "Don't bother to restart the pod."),
    # judgements, sanctions and confessions
    (
        "The contractor cut corners on the cabling.",
        "judgement",
        "The saw cut corners off the panel.",
    ),
    ("The admin was in a hurry.", "judgement", "We were in a hurry to restore service."),
    (
        "Engineers Criticized Over Payment Outage",
        "judgement",
        "The design was criticized in the review.",
    ),
    (
        "The engineer responsible was suspended.",
        "judgement",
        "The job was suspended by the scheduler.",
    ),
    ("He was let go after the outage.", "judgement", "Let go of the lock before retrying."),
    ("That was gross misconduct.", "judgement", "The review found no misconduct."),
    ("Whoever approved this should be ashamed.", "judgement", "Incidents are not shameful."),
    ("Heads will roll for this.", "judgement", "Heads of department met on Monday."),
    (
        "The engineer admitted to running the script twice.",
        "fault",
        "The patient was admitted to the ward.",
    ),
    # fault and blame, said other ways
    (
        "The contractor was responsible for the outage.",
        "fault",
        "The contractor was responsible for the outage response.",
    ),
    (
        "It was Contosos fault that the site was down.",
        "fault",
        "The design was fault tolerant.",
    ),
    (
        "The agency blamed integrator Contoso for the delay.",
        "fault",
        "The agency thanked integrator Contoso for the quick fix.",
    ),
    ("The vendor is definitely to blame.", "fault", "Nobody is to blame."),
    ("Most of the blame here falls on the vendor.", "fault", "A culture of blame hides incidents."),
    # mistakes named other ways
    ("Service was lost due to worker error.", "human-error", "The worker error rate rose."),
    ("The outage came from the engineer's error.", "mistake", "The user's error rate rose."),
    ("A ‘fat finger’ error sent the order twice.", "mistake", 'Never write "fat finger" here.'),
    (
        "It was a simple, avoidable mistake.",
        "mistake",
        "Simple, avoidable mistakes happen in every team.",
    ),
    ("It was an oversight.", "mistake", "The oversight board reviewed the incident."),
    # --- third round (after TEST2 was measured) ---
    (
        "The clerk had selected the live queue rather than the test queue.",
        "mistake",
        "We restored the snapshot rather than replaying the log.",
    ),
    (
        "A technician lost a laptop with the payroll export.",
        "person-act",
        "The load balancer lost two backends during the failover.",
    ),
    (
        "The admin dropped the billing table after a long night of firefighting.",
        "person-act",
        "After a long night of firefighting, the router dropped packets.",
    ),
    (
        "The supervisor was dismissed after failing to notice the error.",
        "judgement",
        "The pods kept failing to start after the upgrade.",
    ),
    (
        "The two operators had not followed the change procedure.",
        "negated-duty",
        "The steps had not followed the usual order.",
    ),
    (
        "Management doesnt care about the on-call load.",
        "judgement",
        "The health check does not care about the response body.",
    ),
    (
        "If you had exercised due care, it could not have happened.",
        "hindsight",
        "Take due care when rotating the keys.",
    ),
    (
        "The former administrator was accused of deleting the archive.",
        "fault",
        "The vendor was accused of nothing.",
    ),
    (
        "The contractor who ran the cut-over needs to resign.",
        "judgement",
        "The contractor who planned the cut-over needs to rest.",
    ),
    (
        "A woman in accounts sabotaged the shared ledger.",
        "person-act",
        "A power surge sabotaged the shared ledger.",
    ),
    (
        "Human error was the root cause of the outage.",
        "human-error",
        "Human error is never a root cause.",
    ),
    ("Too many people fuck something up here.", "judgement", "Fuck, the disk is full."),
    (
        "The sender mistakenly copied every address into the To field.",
        "mistake",
        "The mailer mistakenly copied every address into the To field.",
    ),
    # hindsight said other ways
    (
        "The engineer should not have pushed on a Friday.",
        "hindsight",
        "The release should not have a Friday deadline.",
    ),
    (
        "It was avoidable had the admin checked the disk.",
        "hindsight",
        "The admin had checked the disk.",
    ),
]


# the sixth session: a person as the subject of a mistaken act, cued after the act or by
# its object; first-person confessions; idioms of blame and sanction
GRAMMAR += [
    (
        "The admin restored the backup onto the primary instead of the replica.",
        "mistake",
        "The restore job wrote the backup onto the primary instead of the replica.",
    ),
    (
        "Instead of pausing the rollout, Marta deleted the canary pods.",
        "mistake",
        "Instead of pausing the rollout, the controller deleted the canary pods.",
    ),
    (
        "Instead, the operator sent the full batch to every customer.",
        "mistake",
        "Instead, operators should send the batch in small parts.",
    ),
    (
        "The contractor copied the customer files without permission.",
        "negated-duty",
        "The sync job copied the customer files without permission checks.",
    ),
    (
        "Without reading the diff, he approved the pull request.",
        "negated-duty",
        "Without reading the diff, the bot approved the pull request.",
    ),
    (
        "I initially tagged the wrong commit for the release.",
        "mistake",
        "If you tag the wrong commit, delete the tag and push again.",
    ),
    (
        "The clerk keyed an erroneous amount into the ledger.",
        "mistake",
        "The clerk noticed an erroneous amount in the ledger.",
    ),
    (
        "The analyst scheduled untested queries on the reporting cluster.",
        "mistake",
        "The pipeline scheduled untested queries on the reporting cluster.",
    ),
    (
        "Despite repeated reminders, two staffers kept sharing the admin login.",
        "negated-duty",
        "Despite repeated reminders, the scheduler kept sharing the admin login.",
    ),
    (
        "The intern copied the dataset to a laptop despite the policy.",
        "negated-duty",
        "The backup job copied the dataset to a laptop despite the policy.",
    ),
    (
        "10:42 Ingrid does not acknowledge the second page.",
        "negated-duty",
        "10:42 The pager does not acknowledge the second page.",
    ),
    (
        "The maintainer had not renewed the signing key before the release.",
        "negated-duty",
        "The signing key had not been renewed before the release.",
    ),
    (
        "The developer generated the token for a demo and never revoked it.",
        "negated-duty",
        "The build generated the token for a demo and never revoked it.",
    ),
    (
        "My bad, I pointed the resolver at the old zone.",
        "mistake",
        "My badge reader pointed the resolver at the old zone.",
    ),
    (
        "I hadn't rebuilt the image after bumping the base layer.",
        "negated-duty",
        "I had rebuilt the image after bumping the base layer.",
    ),
    (
        "I thought I was connected to staging when I truncated the table.",
        "mistake",
        "The runbook thought of staging when it truncated the table.",
    ),
    (
        "No one thought to check the second power feed.",
        "negated-duty",
        "No one was paged about the second power feed.",
    ),
    (
        "The night operator fell asleep during the batch window.",
        "judgement",
        "The night batch fell behind during the batch window.",
    ),
    (
        "Frankly the new release manager was useless during the outage.",
        "judgement",
        "Frankly the new release dashboard was useless during the outage.",
    ),
    (
        "The data loss was attributed to a night-shift technician.",
        "fault",
        "The data loss was attributed to a firmware fault.",
    ),
    (
        "The utility immediately fired the field technician.",
        "judgement",
        "The utility immediately fired the backup generator.",
    ),
    (
        "The vendor pointed the finger at our network team.",
        "fault",
        "The runbook pointed the reader at our network team.",
    ),
    (
        "Skipping the review should be a firing offence.",
        "judgement",
        "Skipping the review should be a documented exception.",
    ),
    (
        "The overflow was put down to a lapse in concentration.",
        "judgement",
        "The overflow was put down to a lapse in monitoring coverage.",
    ),
    (
        "It is the subcontractor who bears responsibility for the damage.",
        "fault",
        "It is the insurance policy that covers the damage.",
    ),
    (
        "Someone did a force-push to the release branch.",
        "person-act",
        "The mirror did a full sync of the release branch.",
    ),
    (
        "The technician's unauthorized access to the billing data went on for a year.",
        "person-act",
        "The service's unauthorized access alarm went on for a year.",
    ),
    (
        "Mrs Okafor disclosed the ward list without authorisation.",
        "negated-duty",
        "The export disclosed the ward list without authorisation.",
    ),
    (
        "The payroll clerk had violated the Data Protection Act by browsing salaries.",
        "negated-duty",
        "The payroll export had met the Data Protection Act by masking salaries.",
    ),
    (
        "The supervisor on that shift allegedly failed to notice the duplicate payment.",
        "negated-duty",
        "The reconciliation on that shift allegedly failed to run for the duplicate payment.",
    ),
    (
        "It was the technician that didn't answer the pager for an hour.",
        "negated-duty",
        "It was the gateway that didn't answer the health check for an hour.",
    ),
    (
        "I should have double checked the target host.",
        "hindsight",
        "I should double check the target host next time.",
    ),
    (
        "Somebody must have force-pushed over the tag.",
        "person-act",
        "The mirror must have force-synced over the tag.",
    ),
    (
        "I apologise for accidentally wiping the shared cache.",
        "mistake",
        "We apologise for the inconvenience while the cache is rebuilt.",
    ),
    (
        "Sorry for breaking the nightly build, everyone.",
        "mistake",
        "Sorry for the noise, this change replaces the last one.",
    ),
    (
        "The admin confused the billing replica with the primary.",
        "mistake",
        "Users confused the billing replica with the primary.",
    ),
    (
        "This reverts a regression I introduced last week.",
        "person-act",
        "This reverts a regression the parser introduced last week.",
    ),
    (
        "The new hire managed to crash the build farm twice.",
        "person-act",
        "The new hire managed to restore the build farm twice.",
    ),
    (
        "Our bad, the banner went out early.",
        "mistake",
        "Our badge readers went out early.",
    ),
    (
        "Why weren't they more careful with the export?",
        "negated-duty",
        "Why weren't the exports more compressed?",
    ),
    (
        "The wiki page was deleted by me.",
        "person-act",
        "The wiki page was deleted by the retention job.",
    ),
    (
        "He ran the seed script against production instead of staging.",
        "mistake",
        "He restarted the pods instead of scaling the node pool.",
    ),
    (
        "The bank later dismissed the junior cashier.",
        "judgement",
        "The alert fired, paging the junior cashier.",
    ),
    (
        "The night operator fell asleep at the console.",
        "judgement",
        "The secondary on call was asleep when the first page came at 03:00.",
    ),
    (
        "The corrupted ledger was attributed to one contractor.",
        "fault",
        "The latency was attributed to user traffic.",
    ),
    (
        "10:05 Tomas does not acknowledge the page.",
        "negated-duty",
        "Under this process the reviewer does not check generated files.",
    ),
    (
        "Someone did a force-push over the release tag.",
        "person-act",
        "The maintainer did a force-push to remove the leaked token.",
    ),
    (
        "The admin went rogue and exported the customer table.",
        "judgement",
        "Some automation went rogue and exported the customer table.",
    ),
    (
        "The intern accidentally pushed the feature branches.",
        "person-act",
        "The automation script accidentally pushed the feature branches.",
    ),
    (
        "A dispatcher misrouted the outage calls to the closed depot.",
        "person-act",
        "The load balancer misrouted the outage calls to the closed depot.",
    ),
    (
        "The release engineer bungled the tag and the mirrors served an old build.",
        "person-act",
        "The release tooling mangled the tag and the mirrors served an old build.",
    ),
    (
        "Didn't check the replica lag before the failover.",
        "negated-duty",
        "Didn't we hold the failover back last time?",
    ),
]


@pytest.mark.parametrize("sentence,pattern,near", GRAMMAR, ids=[g[0] for g in GRAMMAR])
def test_the_grammar_of_blame_in_both_directions(sentence: str, pattern: str, near: str) -> None:
    """Each generalised pattern finds its sentence, and a near sentence that differs in the
    agent, the act or the context (a thing, advice, a negation) is left alone."""
    findings = blame_in(sentence)
    assert len(findings) == 1, findings
    assert f"({pattern}): {PATTERNS[pattern]}" in findings[0].message
    assert blame_in(near) == [], near


@pytest.mark.parametrize(
    "prose",
    [
        "The root cause was human\nerror.",  # hard-wrapped
        "The root cause was human\u00a0error.",  # a no-break space, pasted from a web page
        "The root cause was human\u202ferror.",
        "The root cause was human\u3000error.",  # an ideographic space
        "The root cause was ｈｕｍａｎ ｅｒｒｏｒ.",  # full-width forms
        "The root cause was hu\u00adman er\u200bror.",  # soft hyphen, zero-width space
        "An engineer\nmade a typo in the\nnetwork configuration.",
        "Sergei\u00a0broke the\u00a0build.",
    ],
)
def test_blame_is_found_across_wraps_and_unicode_spaces(prose: str) -> None:
    findings = blame_in(prose)
    assert [f.rule for f in findings] == ["PM501"], findings


def test_the_finding_is_on_the_line_where_the_phrase_starts() -> None:
    findings = blame_in("Nothing here.\nThe root cause was human\nerror.")
    text = complete_postmortem_text()
    summary_line = text[: text.index("## Summary")].count("\n") + 1
    assert findings[0].line == summary_line + 3


def test_one_finding_per_sentence() -> None:
    findings = blame_in("The careless engineer made a mistake, it was human error and his fault.")
    assert len(findings) == 1
    two = blame_in("It was human error. It was human error again.")
    assert len(two) == 2


def test_a_word_is_judged_again_in_each_place() -> None:
    """The quick look at the words before a verb keeps what it made of each word; a
    capitalised word is a surname only after a given name, wherever it was seen before."""
    for _ in range(2):  # the second round finds every word already kept
        assert len(blame_in("Sergei Ivanov broke the build.")) == 1
        assert blame_in("Network Ivanov broke the build.") == []
        assert len(blame_in("Sergei Ivanov then broke the build.")) == 1
        assert blame_in("The network Ivanov then broke the build.") == []


def test_sentences_in_comments_and_fences_are_not_prose() -> None:
    assert blame_in("<!-- Avoid writing: the engineer was careless. -->") == []
    assert blame_in("```\nadmin deleted the wrong directory\n```") == []


def test_blame_in_a_table_cell_and_a_list_item() -> None:
    assert len(blame_in("| 10:02 | Sergei broke the build |\n|---|---|")) == 1
    assert len(blame_in("- The root cause was human error\n- Sergei broke the build")) == 2


def test_built_in_patterns_can_be_switched_off() -> None:
    assert blame_in("The root cause was human error.", blame_disable=("human-error",)) == []
    assert (
        len(
            blame_in(
                "The root cause was human error. Sergei broke the build.",
                blame_disable=("human-error",),
            )
        )
        == 1
    )


def test_team_terms_are_added() -> None:
    terms = {"rookie mistake": "describe the missing onboarding step", "Bobby": "x"}
    findings = blame_in("It was a rookie\nmistake by the new hire.", blame_terms=terms)
    assert len(findings) == 1
    assert (
        "describe the missing onboarding step" in findings[0].message
        or "(mistake)" in findings[0].message
    )
    assert blame_in("That was a rookie move.", blame_terms=terms) == []


def _configure(kb: Path, settings: str) -> None:
    config = kb / "mkdocs.yml"
    text = config.read_text(encoding="utf-8")
    config.write_text(
        text.replace("  - postmortems:\n", "  - postmortems:\n" + settings, 1), encoding="utf-8"
    )


def _write(kb: Path, prose: str) -> None:
    path = kb / "postmortems" / "2026" / "PM-2026-001-x.md"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        complete_postmortem_text().replace("## Summary\n\n", f"## Summary\n\n{prose}\n\n", 1),
        encoding="utf-8",
    )


def test_blame_disable_in_mkdocs_yml(kb: Path) -> None:
    _write(kb, "The root cause was human error. The team should have caught it.")
    _configure(kb, "      blame_disable: [hindsight]\n")
    result = run_cli("-C", str(kb), "check", "--format", "json")
    assert [f["rule"] for f in result.json()["findings"]] == ["PM501"]
    assert "human error" in result.json()["findings"][0]["message"]


def test_blame_disable_names_only_built_in_patterns(kb: Path) -> None:
    _configure(kb, "      blame_disable: [hindsight, politeness]\n")
    result = run_cli("-C", str(kb), "check")
    assert result.exit_code == 2
    assert "politeness" in result.stderr and "person-act" in result.stderr


def test_the_sample_postmortems_have_no_blame() -> None:
    from conftest import REPO

    result = run_cli("-C", str(REPO), "check", "--select", "PM501", "--format", "json")
    assert result.json()["findings"] == []


def test_the_guides_silencing_example_is_blame_and_is_silenced() -> None:
    from conftest import REPO

    guide = (REPO / "postmortems" / "guide" / "index.md").read_text(encoding="utf-8")
    line = next(li for li in guide.splitlines() if "postmortem-ignore PM501" in li)
    sentence = line.split("<!--")[0].strip()
    assert len(blame_in(sentence)) == 1
    assert blame_in(line) == []
