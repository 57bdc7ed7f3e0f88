package dev.tollgate.planner.scenario;

import java.math.BigDecimal;

/**
 * What the use case achieves, to price it per outcome against people doing the same work.
 *
 * @param perConversation outcomes per conversation (0.7 = 70% of conversations resolve the customer's question)
 * @param humanCost       what one outcome costs when done by people (loaded cost of their time)
 */
public record Outcome(String name, BigDecimal perConversation, BigDecimal humanCost) {
}
